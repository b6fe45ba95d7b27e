-- First touch: the sales sequence a handoff enrolls its contact in (worker::pipeline::sequence).
-- sequence_state: NULL (no enrollment due), 'attempted' (an enroll call was about to be sent: a
-- retry reads the contact's enrollment before sending again), 'enrolled', or 'skipped' with
-- sequence_reason (already_enrolled, no_user, no_sender, no_seat, no_inbox, missing_scope, unknown_sequence,
-- refused, api_unavailable). Kept across reassignment: a handoff is enrolled at most once.
ALTER TABLE handoffs ADD COLUMN sequence_id TEXT;
ALTER TABLE handoffs ADD COLUMN sequence_state TEXT;
ALTER TABLE handoffs ADD COLUMN sequence_reason TEXT;
ALTER TABLE handoffs ADD COLUMN sequence_enrollment_id TEXT;
ALTER TABLE handoffs ADD COLUMN sequence_at_ms INTEGER;
