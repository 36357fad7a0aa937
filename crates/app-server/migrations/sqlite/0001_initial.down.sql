DROP TABLE model_inference_logs;
DROP TABLE user_preferences;
DROP TABLE users;
