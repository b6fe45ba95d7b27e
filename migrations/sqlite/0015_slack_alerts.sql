-- Lead alerts in Slack (issue #18; docs/slack.md). Three tables, read and written only when
-- [alerts.slack] is enabled.
--
-- Each owner's Slack user, found by e-mail (users.lookupByEmail) and refreshed with the owners
-- cache: slack_user_id is the U…/W… id, or 'none' for an owner with no Slack account (their
-- alerts go to the team channel); time_zone is Slack's `tz`, for due times in the rep's zone.
CREATE TABLE slack_users (
    portal_id       INTEGER NOT NULL,
    owner_id        TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    slack_user_id   TEXT    NOT NULL,
    team_id         TEXT,
    time_zone       TEXT,
    refreshed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (portal_id, owner_id)
);

-- One row per alert a lead's handoff is due: `step` is 'assigned' or the ladder step
-- ('ladder:<index>'), `version` the handoff's assignment it belongs to (the version in its
-- buttons). The row is claimed ('pending') before chat.postMessage is called, and its
-- channel and ts are stored right after the answer: chat.postMessage has no idempotency key
-- (docs/slack.md "Web API methods"), so a retry after a crash reads the row before it posts
-- again, and the UNIQUE key makes a step's alert one row, sent at most once.
-- state: 'pending' (due, or being sent), 'sent', 'failed' (given up: last_error says why).
CREATE TABLE slack_alerts (
    id                 INTEGER PRIMARY KEY,
    portal_id          INTEGER NOT NULL,
    contact_id         INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    step               TEXT    NOT NULL,
    channel            TEXT,
    ts                 TEXT,
    thread_ts          TEXT,
    state              TEXT    NOT NULL,
    attempts           INTEGER NOT NULL,
    last_error         TEXT,
    next_attempt_at_ms INTEGER,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    UNIQUE (portal_id, contact_id, version, step)
);
-- The alert lane's work: pending alerts by when they are due.
CREATE INDEX slack_alerts_pending ON slack_alerts (next_attempt_at_ms) WHERE state = 'pending';

-- Clicks on an alert's buttons, stored by POST /slack/interactions before its 200, applied
-- later by the worker (applied_at_ms, outcome). Slack's action_ts stamps one click, so a
-- request sent again for the same click is stored once.
CREATE TABLE slack_clicks (
    id             INTEGER PRIMARY KEY,
    received_at_ms INTEGER NOT NULL,
    team_id        TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    channel_id     TEXT    NOT NULL,
    message_ts     TEXT    NOT NULL,
    action_ts      TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    reason         TEXT,
    portal_id      INTEGER NOT NULL,
    contact_id     INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    applied_at_ms  INTEGER,
    outcome        TEXT,
    UNIQUE (team_id, channel_id, message_ts, user_id, action_ts)
);
CREATE INDEX slack_clicks_unapplied ON slack_clicks (id) WHERE applied_at_ms IS NULL;
