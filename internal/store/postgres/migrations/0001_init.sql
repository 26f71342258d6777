-- sesame's schema, PostgreSQL: the SQLite schema's twin (same tables,
-- columns, keys and constraints), with TIMESTAMPTZ for times and BYTEA
-- for bytes. Names, ids and keys collate "C" so that lists sort as they do
-- in SQLite whatever the database's locale. IAM names are unique without
-- regard to case (lower(name) indexes). Deleting a user, group, role or
-- policy that is still in use fails on a foreign key (AWS's
-- DeleteConflict); tags go with their resource.

CREATE TABLE iam_policies (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	path TEXT NOT NULL,
	description TEXT NOT NULL,
	default_version INTEGER NOT NULL,
	next_version INTEGER NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX iam_policies_name ON iam_policies (lower(name));

CREATE TABLE policy_versions (
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	document TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (policy_id, version)
);

CREATE TABLE iam_users (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	path TEXT NOT NULL,
	boundary_id TEXT COLLATE "C" REFERENCES iam_policies (id),
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX iam_users_name ON iam_users (lower(name));
CREATE INDEX iam_users_boundary ON iam_users (boundary_id);

CREATE TABLE iam_groups (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	path TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX iam_groups_name ON iam_groups (lower(name));

CREATE TABLE iam_roles (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	path TEXT NOT NULL,
	description TEXT NOT NULL,
	assume_role_policy TEXT NOT NULL,
	max_session_seconds INTEGER NOT NULL,
	boundary_id TEXT COLLATE "C" REFERENCES iam_policies (id),
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX iam_roles_name ON iam_roles (lower(name));
CREATE INDEX iam_roles_boundary ON iam_roles (boundary_id);

CREATE TABLE group_members (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
	user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users (id),
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE user_policies (
	user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users (id),
	name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (user_id, name)
);
CREATE TABLE group_policies (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
	name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (group_id, name)
);
CREATE TABLE role_policies (
	role_id TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (id),
	name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (role_id, name)
);

CREATE TABLE user_attached (
	user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users (id),
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (user_id, policy_id)
);
CREATE INDEX user_attached_policy ON user_attached (policy_id);
CREATE TABLE group_attached (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (group_id, policy_id)
);
CREATE INDEX group_attached_policy ON group_attached (policy_id);
CREATE TABLE role_attached (
	role_id TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (id),
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (id),
	PRIMARY KEY (role_id, policy_id)
);
CREATE INDEX role_attached_policy ON role_attached (policy_id);

CREATE TABLE user_tags (
	user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (user_id, key)
);
CREATE TABLE role_tags (
	role_id TEXT COLLATE "C" NOT NULL REFERENCES iam_roles (id) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (role_id, key)
);

-- secret: the secret access key sealed with AES-256-GCM (never plaintext).
CREATE TABLE access_keys (
	id TEXT COLLATE "C" PRIMARY KEY,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users (id),
	secret BYTEA NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	created_at TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	last_used_service TEXT NOT NULL DEFAULT '',
	last_used_region TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE activations (
	id TEXT COLLATE "C" PRIMARY KEY,
	code_hash BYTEA NOT NULL,
	description TEXT NOT NULL,
	default_instance_name TEXT NOT NULL,
	iam_role TEXT NOT NULL,
	registration_limit INTEGER NOT NULL CHECK (registration_limit > 0),
	registration_count INTEGER NOT NULL DEFAULT 0
		CHECK (registration_count BETWEEN 0 AND registration_limit),
	expires_at TIMESTAMPTZ NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX activations_created ON activations (created_at, id);
CREATE TABLE activation_tags (
	activation_id TEXT COLLATE "C" NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (activation_id, key)
);

-- activation_id is not a foreign key: nodes outlive their activation.
CREATE TABLE nodes (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	activation_id TEXT COLLATE "C" NOT NULL,
	iam_role TEXT NOT NULL,
	credentials_hash BYTEA,
	platform_type TEXT NOT NULL,
	platform_name TEXT NOT NULL,
	platform_version TEXT NOT NULL,
	agent_version TEXT NOT NULL,
	ip_address TEXT NOT NULL,
	computer_name TEXT NOT NULL,
	ping_status TEXT NOT NULL CHECK (ping_status IN ('Online', 'ConnectionLost', 'Inactive')),
	last_ping_at TIMESTAMPTZ,
	registered_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE node_tags (
	node_id TEXT COLLATE "C" NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (node_id, key)
);
CREATE INDEX node_tags_key ON node_tags (key, value);

CREATE TABLE documents (
	name TEXT COLLATE "C" PRIMARY KEY,
	owner TEXT COLLATE "C" NOT NULL,
	document_type TEXT NOT NULL,
	description TEXT NOT NULL,
	default_version INTEGER NOT NULL,
	latest_version INTEGER NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE document_versions (
	document_name TEXT COLLATE "C" NOT NULL REFERENCES documents (name) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	version_name TEXT COLLATE "C",
	format TEXT NOT NULL,
	content TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (document_name, version),
	UNIQUE (document_name, version_name)
);
CREATE TABLE document_tags (
	document_name TEXT COLLATE "C" NOT NULL REFERENCES documents (name) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (document_name, key)
);

-- The session state machine (store.SessionTransitions), enforced here:
-- a status may change only along a row of session_transitions, and a
-- session is created Connecting or Connected. ended_at is set exactly
-- when the status is final.
CREATE TABLE session_transitions (
	from_status TEXT COLLATE "C" NOT NULL,
	to_status TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (from_status, to_status)
);
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
	id TEXT COLLATE "C" PRIMARY KEY,
	target TEXT COLLATE "C" NOT NULL,
	owner TEXT COLLATE "C" NOT NULL,
	document_name TEXT COLLATE "C" NOT NULL,
	status TEXT NOT NULL CHECK (status IN
		('Connecting', 'Connected', 'Disconnected', 'Terminating', 'Terminated', 'Failed')),
	reason TEXT NOT NULL,
	started_at TIMESTAMPTZ NOT NULL,
	ended_at TIMESTAMPTZ,
	CHECK ((status IN ('Terminated', 'Failed')) = (ended_at IS NOT NULL))
);
CREATE INDEX sessions_started ON sessions (started_at, id);
CREATE INDEX sessions_target ON sessions (target);
CREATE TABLE session_tags (
	session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	key TEXT COLLATE "C" NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (session_id, key)
);

CREATE FUNCTION sessions_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status NOT IN ('Connecting', 'Connected') THEN
		RAISE EXCEPTION 'a session starts Connecting or Connected'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER sessions_created BEFORE INSERT ON sessions
	FOR EACH ROW EXECUTE FUNCTION sessions_created();

CREATE FUNCTION sessions_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM session_transitions
		WHERE from_status = OLD.status AND to_status = NEW.status) THEN
		RAISE EXCEPTION 'session status change not allowed: % to %', OLD.status, NEW.status
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER sessions_status BEFORE UPDATE OF status ON sessions
	FOR EACH ROW EXECUTE FUNCTION sessions_status();
