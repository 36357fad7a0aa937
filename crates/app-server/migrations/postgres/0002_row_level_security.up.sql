-- Row-level security on the per-user tables: a second wall behind the `user_id` filter of every
-- store query. The store sets `app.user_id` with SET LOCAL (set_config(..., true)) inside each
-- user-scoped transaction, so a query that forgets its filter still sees only that user's rows.
--
-- FORCE applies the policies to the table owner too, because the app's own role owns these
-- tables. Superusers and roles with BYPASSRLS still bypass them.
--
-- `app.cross_user = 'on'` admits every row. Only the store's explicitly named cross-user methods
-- (retention, admin listing) set it, and they log who asked and why.

ALTER TABLE user_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_preferences FORCE ROW LEVEL SECURITY;

CREATE POLICY user_preferences_own_rows ON user_preferences
    USING (user_id = current_setting('app.user_id', true))
    WITH CHECK (user_id = current_setting('app.user_id', true));

CREATE POLICY user_preferences_cross_user ON user_preferences
    USING (current_setting('app.cross_user', true) = 'on')
    WITH CHECK (current_setting('app.cross_user', true) = 'on');

ALTER TABLE model_inference_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_inference_logs FORCE ROW LEVEL SECURITY;

CREATE POLICY model_inference_logs_own_rows ON model_inference_logs
    USING (user_id = current_setting('app.user_id', true))
    WITH CHECK (user_id = current_setting('app.user_id', true));

CREATE POLICY model_inference_logs_cross_user ON model_inference_logs
    USING (current_setting('app.cross_user', true) = 'on')
    WITH CHECK (current_setting('app.cross_user', true) = 'on');
