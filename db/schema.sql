-- placeholder, replaced by the db part
PRAGMA user_version = 0;
