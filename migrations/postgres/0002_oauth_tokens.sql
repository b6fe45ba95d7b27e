-- Refreshed OAuth tokens per portal, sealed with ChaCha20-Poly1305 under a key from the
-- environment (hubspot.token_key_env / token_key_file): the database never holds plaintext.
CREATE TABLE oauth_tokens (
    portal_id     BIGINT NOT NULL PRIMARY KEY,
    nonce         BYTEA  NOT NULL,
    ciphertext    BYTEA  NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
