-- SQLite has no row-level security. This no-op keeps the migration versions equal on both
-- backends; isolation on SQLite rests on the `user_id` filter of every store query.
SELECT 1;
