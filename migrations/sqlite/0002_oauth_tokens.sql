-- Refreshed OAuth tokens per portal, sealed with ChaCha20-Poly1305 under a key from the
-- environment (hubspot.token_key_env / token_key_file): the database never holds plaintext.
CREATE TABLE oauth_tokens (
    portal_id     INTEGER NOT NULL PRIMARY KEY,
    nonce         BLOB    NOT NULL,
    ciphertext    BLOB    NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
