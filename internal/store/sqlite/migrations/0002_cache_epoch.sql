-- The cache epoch: a number that changes with every change to a row the
-- server caches (IAM users, groups, roles, policies and their
-- attachments, access keys, nodes and their tags, documents). A server
-- reads it every so often and forgets what it cached when it moved, so a
-- change made by another server or by hand is seen within that interval.
-- Bookkeeping the cache does not hold (a node's last ping time, an access
-- key's last use) leaves it alone, as do sessions and activations.

CREATE TABLE cache_epoch (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	epoch INTEGER NOT NULL
) STRICT;
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER iam_policies_epoch_insert AFTER INSERT ON iam_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_policies_epoch_delete AFTER DELETE ON iam_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_policies_epoch_update AFTER UPDATE ON iam_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER policy_versions_epoch_insert AFTER INSERT ON policy_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER policy_versions_epoch_delete AFTER DELETE ON policy_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER policy_versions_epoch_update AFTER UPDATE ON policy_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_users_epoch_insert AFTER INSERT ON iam_users
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_users_epoch_delete AFTER DELETE ON iam_users
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_users_epoch_update AFTER UPDATE ON iam_users
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_groups_epoch_insert AFTER INSERT ON iam_groups
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_groups_epoch_delete AFTER DELETE ON iam_groups
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_groups_epoch_update AFTER UPDATE ON iam_groups
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_roles_epoch_insert AFTER INSERT ON iam_roles
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_roles_epoch_delete AFTER DELETE ON iam_roles
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER iam_roles_epoch_update AFTER UPDATE ON iam_roles
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_members_epoch_insert AFTER INSERT ON group_members
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_members_epoch_delete AFTER DELETE ON group_members
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_members_epoch_update AFTER UPDATE ON group_members
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_policies_epoch_insert AFTER INSERT ON user_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_policies_epoch_delete AFTER DELETE ON user_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_policies_epoch_update AFTER UPDATE ON user_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_policies_epoch_insert AFTER INSERT ON group_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_policies_epoch_delete AFTER DELETE ON group_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_policies_epoch_update AFTER UPDATE ON group_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_policies_epoch_insert AFTER INSERT ON role_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_policies_epoch_delete AFTER DELETE ON role_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_policies_epoch_update AFTER UPDATE ON role_policies
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_attached_epoch_insert AFTER INSERT ON user_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_attached_epoch_delete AFTER DELETE ON user_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_attached_epoch_update AFTER UPDATE ON user_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_attached_epoch_insert AFTER INSERT ON group_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_attached_epoch_delete AFTER DELETE ON group_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER group_attached_epoch_update AFTER UPDATE ON group_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_attached_epoch_insert AFTER INSERT ON role_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_attached_epoch_delete AFTER DELETE ON role_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_attached_epoch_update AFTER UPDATE ON role_attached
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_tags_epoch_insert AFTER INSERT ON user_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_tags_epoch_delete AFTER DELETE ON user_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER user_tags_epoch_update AFTER UPDATE ON user_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_tags_epoch_insert AFTER INSERT ON role_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_tags_epoch_delete AFTER DELETE ON role_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER role_tags_epoch_update AFTER UPDATE ON role_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER access_keys_epoch_insert AFTER INSERT ON access_keys
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER access_keys_epoch_delete AFTER DELETE ON access_keys
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER access_keys_epoch_update AFTER UPDATE ON access_keys
WHEN OLD.id IS NOT NEW.id
	OR OLD.user_id IS NOT NEW.user_id
	OR OLD.secret IS NOT NEW.secret
	OR OLD.status IS NOT NEW.status
	OR OLD.created_at IS NOT NEW.created_at
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER nodes_epoch_insert AFTER INSERT ON nodes
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER nodes_epoch_delete AFTER DELETE ON nodes
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER nodes_epoch_update AFTER UPDATE ON nodes
WHEN OLD.id IS NOT NEW.id
	OR OLD.name IS NOT NEW.name
	OR OLD.activation_id IS NOT NEW.activation_id
	OR OLD.iam_role IS NOT NEW.iam_role
	OR OLD.credentials_hash IS NOT NEW.credentials_hash
	OR OLD.platform_type IS NOT NEW.platform_type
	OR OLD.platform_name IS NOT NEW.platform_name
	OR OLD.platform_version IS NOT NEW.platform_version
	OR OLD.agent_version IS NOT NEW.agent_version
	OR OLD.ip_address IS NOT NEW.ip_address
	OR OLD.computer_name IS NOT NEW.computer_name
	OR OLD.ping_status IS NOT NEW.ping_status
	OR OLD.registered_at IS NOT NEW.registered_at
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER node_tags_epoch_insert AFTER INSERT ON node_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER node_tags_epoch_delete AFTER DELETE ON node_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER node_tags_epoch_update AFTER UPDATE ON node_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER documents_epoch_insert AFTER INSERT ON documents
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER documents_epoch_delete AFTER DELETE ON documents
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER documents_epoch_update AFTER UPDATE ON documents
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_versions_epoch_insert AFTER INSERT ON document_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_versions_epoch_delete AFTER DELETE ON document_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_versions_epoch_update AFTER UPDATE ON document_versions
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_tags_epoch_insert AFTER INSERT ON document_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_tags_epoch_delete AFTER DELETE ON document_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;

CREATE TRIGGER document_tags_epoch_update AFTER UPDATE ON document_tags
BEGIN UPDATE cache_epoch SET epoch = epoch + 1; END;
