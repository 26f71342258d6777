-- The cache epoch: a number that changes with every change to a row the
-- server caches (IAM users, groups, roles, policies and their
-- attachments, access keys, nodes and their tags, documents). A server
-- reads it every so often and forgets what it cached when it moved, so a
-- change made by another server or by hand is seen within that interval.
-- Bookkeeping the cache does not hold (a node's last ping time, an access
-- key's last use) leaves it alone, as do sessions and activations.

CREATE TABLE cache_epoch (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	epoch BIGINT NOT NULL
);
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_cache_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE cache_epoch SET epoch = epoch + 1;
	RETURN NULL;
END
$$;

CREATE TRIGGER iam_policies_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_policies
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER policy_versions_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_versions
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER iam_users_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_users
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER iam_groups_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_groups
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER iam_roles_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_roles
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER group_members_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_members
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER user_policies_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_policies
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER group_policies_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_policies
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER role_policies_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_policies
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER user_attached_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_attached
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER group_attached_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_attached
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER role_attached_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_attached
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER user_tags_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_tags
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER role_tags_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_tags
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER access_keys_epoch AFTER INSERT OR DELETE OR TRUNCATE ON access_keys
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();
CREATE TRIGGER access_keys_epoch_update AFTER UPDATE ON access_keys
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
		OR OLD.user_id IS DISTINCT FROM NEW.user_id
		OR OLD.secret IS DISTINCT FROM NEW.secret
		OR OLD.status IS DISTINCT FROM NEW.status
		OR OLD.created_at IS DISTINCT FROM NEW.created_at)
	EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER nodes_epoch AFTER INSERT OR DELETE OR TRUNCATE ON nodes
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();
CREATE TRIGGER nodes_epoch_update AFTER UPDATE ON nodes
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
		OR OLD.name IS DISTINCT FROM NEW.name
		OR OLD.activation_id IS DISTINCT FROM NEW.activation_id
		OR OLD.iam_role IS DISTINCT FROM NEW.iam_role
		OR OLD.credentials_hash IS DISTINCT FROM NEW.credentials_hash
		OR OLD.platform_type IS DISTINCT FROM NEW.platform_type
		OR OLD.platform_name IS DISTINCT FROM NEW.platform_name
		OR OLD.platform_version IS DISTINCT FROM NEW.platform_version
		OR OLD.agent_version IS DISTINCT FROM NEW.agent_version
		OR OLD.ip_address IS DISTINCT FROM NEW.ip_address
		OR OLD.computer_name IS DISTINCT FROM NEW.computer_name
		OR OLD.ping_status IS DISTINCT FROM NEW.ping_status
		OR OLD.registered_at IS DISTINCT FROM NEW.registered_at)
	EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER node_tags_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON node_tags
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER documents_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON documents
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER document_versions_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON document_versions
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();

CREATE TRIGGER document_tags_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON document_tags
	FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_epoch();
