-- sesame's schema, SQLite. Times are microseconds since the Unix epoch,
-- UTC. IAM names are unique without regard to case (lower(name) indexes).
-- Deleting a user, group, role or policy that is still in use fails on a
-- foreign key (AWS's DeleteConflict); tags go with their resource.

CREATE TABLE iam_policies (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	path TEXT NOT NULL,
	description TEXT NOT NULL,
	default_version INTEGER NOT NULL,
	next_version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX iam_policies_name ON iam_policies (lower(name));

CREATE TABLE policy_versions (
	policy_id TEXT NOT NULL REFERENCES iam_policies (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	document TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (policy_id, version)
) STRICT;

CREATE TABLE iam_users (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	path TEXT NOT NULL,
	boundary_id TEXT REFERENCES iam_policies (id),
	created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX iam_users_name ON iam_users (lower(name));
CREATE INDEX iam_users_boundary ON iam_users (boundary_id);

CREATE TABLE iam_groups (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	path TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX iam_groups_name ON iam_groups (lower(name));

CREATE TABLE iam_roles (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	path TEXT NOT NULL,
	description TEXT NOT NULL,
	assume_role_policy TEXT NOT NULL,
	max_session_seconds INTEGER NOT NULL,
	boundary_id TEXT REFERENCES iam_policies (id),
	created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX iam_roles_name ON iam_roles (lower(name));
CREATE INDEX iam_roles_boundary ON iam_roles (boundary_id);

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES iam_groups (id),
	user_id TEXT NOT NULL REFERENCES iam_users (id),
	PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE user_policies (
	user_id TEXT NOT NULL REFERENCES iam_users (id),
	name TEXT NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (user_id, name)
) STRICT;
CREATE TABLE group_policies (
	group_id TEXT NOT NULL REFERENCES iam_groups (id),
	name TEXT NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (group_id, name)
) STRICT;
CREATE TABLE role_policies (
	role_id TEXT NOT NULL REFERENCES iam_roles (id),
	name TEXT NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (role_id, name)
) STRICT;

CREATE TABLE user_attached (
	user_id TEXT NOT NULL REFERENCES iam_users (id),
	policy_id TEXT NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (user_id, policy_id)
) STRICT;
CREATE INDEX user_attached_policy ON user_attached (policy_id);
CREATE TABLE group_attached (
	group_id TEXT NOT NULL REFERENCES iam_groups (id),
	policy_id TEXT NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (group_id, policy_id)
) STRICT;
CREATE INDEX group_attached_policy ON group_attached (policy_id);
CREATE TABLE role_attached (
	role_id TEXT NOT NULL REFERENCES iam_roles (id),
	policy_id TEXT NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (role_id, policy_id)
) STRICT;
CREATE INDEX role_attached_policy ON role_attached (policy_id);

CREATE TABLE user_tags (
	user_id TEXT NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (user_id, key)
) STRICT;
CREATE TABLE role_tags (
	role_id TEXT NOT NULL REFERENCES iam_roles (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (role_id, key)
) STRICT;

-- secret: the secret access key sealed with AES-256-GCM (never plaintext).
CREATE TABLE access_keys (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES iam_users (id),
	secret BLOB NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	created_at INTEGER NOT NULL,
	last_used_at INTEGER,
	last_used_service TEXT NOT NULL DEFAULT '',
	last_used_region TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE activations (
	id TEXT PRIMARY KEY,
	code_hash BLOB NOT NULL,
	description TEXT NOT NULL,
	default_instance_name TEXT NOT NULL,
	iam_role TEXT NOT NULL,
	registration_limit INTEGER NOT NULL CHECK (registration_limit > 0),
	registration_count INTEGER NOT NULL DEFAULT 0
		CHECK (registration_count BETWEEN 0 AND registration_limit),
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX activations_created ON activations (created_at, id);
CREATE TABLE activation_tags (
	activation_id TEXT NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (activation_id, key)
) STRICT;

-- activation_id is not a foreign key: nodes outlive their activation.
CREATE TABLE nodes (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	activation_id TEXT NOT NULL,
	iam_role TEXT NOT NULL,
	credentials_hash BLOB,
	platform_type TEXT NOT NULL,
	platform_name TEXT NOT NULL,
	platform_version TEXT NOT NULL,
	agent_version TEXT NOT NULL,
	ip_address TEXT NOT NULL,
	computer_name TEXT NOT NULL,
	ping_status TEXT NOT NULL CHECK (ping_status IN ('Online', 'ConnectionLost', 'Inactive')),
	last_ping_at INTEGER,
	registered_at INTEGER NOT NULL
) STRICT;
CREATE TABLE node_tags (
	node_id TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (node_id, key)
) STRICT;
CREATE INDEX node_tags_key ON node_tags (key, value);

CREATE TABLE documents (
	name TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	document_type TEXT NOT NULL,
	description TEXT NOT NULL,
	default_version INTEGER NOT NULL,
	latest_version INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE document_versions (
	document_name TEXT NOT NULL REFERENCES documents (name) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	version_name TEXT,
	format TEXT NOT NULL,
	content TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (document_name, version),
	UNIQUE (document_name, version_name)
) STRICT;
CREATE TABLE document_tags (
	document_name TEXT NOT NULL REFERENCES documents (name) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (document_name, key)
) STRICT;

-- The session state machine (store.SessionTransitions), enforced here:
-- a status may change only along a row of session_transitions, and a
-- session is created Connecting or Connected. ended_at is set exactly
-- when the status is final.
CREATE TABLE session_transitions (
	from_status TEXT NOT NULL,
	to_status TEXT NOT NULL,
	PRIMARY KEY (from_status, to_status)
) STRICT;
INSERT INTO session_transitions (from_status, to_status) VALUES
	('Connecting', 'Connected'),
	('Connecting', 'Failed'),
	('Connecting', 'Terminating'),
	('Connecting', 'Terminated'),
	('Connected', 'Disconnected'),
	('Connected', 'Terminating'),
	('Connected', 'Terminated'),
	('Disconnected', 'Connected'),
	('Disconnected', 'Terminating'),
	('Disconnected', 'Terminated'),
	('Terminating', 'Terminated');

CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	target TEXT NOT NULL,
	owner TEXT NOT NULL,
	document_name TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN
		('Connecting', 'Connected', 'Disconnected', 'Terminating', 'Terminated', 'Failed')),
	reason TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at INTEGER,
	CHECK ((status IN ('Terminated', 'Failed')) = (ended_at IS NOT NULL))
) STRICT;
CREATE INDEX sessions_started ON sessions (started_at, id);
CREATE INDEX sessions_target ON sessions (target);
CREATE TABLE session_tags (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (session_id, key)
) STRICT;

CREATE TRIGGER sessions_created BEFORE INSERT ON sessions
WHEN NEW.status NOT IN ('Connecting', 'Connected')
BEGIN
	SELECT RAISE(ABORT, 'a session starts Connecting or Connected');
END;

CREATE TRIGGER sessions_status BEFORE UPDATE OF status ON sessions
WHEN NOT EXISTS (SELECT 1 FROM session_transitions
	WHERE from_status = OLD.status AND to_status = NEW.status)
BEGIN
	SELECT RAISE(ABORT, 'session status change not allowed');
END;
