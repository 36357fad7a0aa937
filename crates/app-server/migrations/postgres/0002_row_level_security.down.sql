DROP POLICY model_inference_logs_cross_user ON model_inference_logs;
DROP POLICY model_inference_logs_own_rows ON model_inference_logs;
ALTER TABLE model_inference_logs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE model_inference_logs DISABLE ROW LEVEL SECURITY;

DROP POLICY user_preferences_cross_user ON user_preferences;
DROP POLICY user_preferences_own_rows ON user_preferences;
ALTER TABLE user_preferences NO FORCE ROW LEVEL SECURITY;
ALTER TABLE user_preferences DISABLE ROW LEVEL SECURITY;
