package sqldb

import (
	"context"
	"fmt"

	"github.com/sesame-sh/sesame/internal/store"
)

// ResolvePolicies reads a principal's policies in one round trip: a
// UNION of its inline, its managed (default versions), its groups' inline
// and managed, and its boundary, after a marker row that says the
// principal exists.
const resolveUser = `WITH e AS (SELECT id, boundary_id FROM iam_users WHERE lower(name) = lower(?))
SELECT -1 AS ord, '' AS grp, '' AS name, FALSE AS managed, '' AS document FROM e
UNION ALL
SELECT 0, '', i.name, FALSE, i.document FROM e JOIN user_policies i ON i.user_id = e.id
UNION ALL
SELECT 1, '', p.name, TRUE, v.document FROM e
	JOIN user_attached a ON a.user_id = e.id
	JOIN iam_policies p ON p.id = a.policy_id
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
UNION ALL
SELECT 2, g.name, i.name, FALSE, i.document FROM e
	JOIN group_members m ON m.user_id = e.id
	JOIN iam_groups g ON g.id = m.group_id
	JOIN group_policies i ON i.group_id = g.id
UNION ALL
SELECT 2, g.name, p.name, TRUE, v.document FROM e
	JOIN group_members m ON m.user_id = e.id
	JOIN iam_groups g ON g.id = m.group_id
	JOIN group_attached a ON a.group_id = g.id
	JOIN iam_policies p ON p.id = a.policy_id
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
UNION ALL
SELECT 3, '', p.name, TRUE, v.document FROM e
	JOIN iam_policies p ON p.id = e.boundary_id
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
ORDER BY 1, 2, 4, 3`

const resolveRole = `WITH e AS (SELECT id, boundary_id FROM iam_roles WHERE lower(name) = lower(?))
SELECT -1 AS ord, '' AS grp, '' AS name, FALSE AS managed, '' AS document FROM e
UNION ALL
SELECT 0, '', i.name, FALSE, i.document FROM e JOIN role_policies i ON i.role_id = e.id
UNION ALL
SELECT 1, '', p.name, TRUE, v.document FROM e
	JOIN role_attached a ON a.role_id = e.id
	JOIN iam_policies p ON p.id = a.policy_id
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
UNION ALL
SELECT 3, '', p.name, TRUE, v.document FROM e
	JOIN iam_policies p ON p.id = e.boundary_id
	JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
ORDER BY 1, 2, 4, 3`

// ResolvePolicies implements store.PolicyResolver.
func (d *DB) ResolvePolicies(ctx context.Context, principal store.Entity) (store.PolicySet, error) {
	var sql string
	switch principal.Kind {
	case store.EntityUser:
		sql = resolveUser
	case store.EntityRole:
		sql = resolveRole
	default:
		return store.PolicySet{}, fmt.Errorf("resolve policies: a %s is not a principal", principal.Kind)
	}
	set := store.PolicySet{Principal: principal}
	found := false
	rows, err := d.b.Query(ctx, sql, principal.Name)
	if err != nil {
		return set, fail(err, "resolve policies of %s %q", principal.Kind, principal.Name)
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var p store.EffectivePolicy
		var grp string
		if err := rows.Scan(&ord, &grp, &p.Name, &p.Managed, &p.Document); err != nil {
			return set, fail(err, "resolve policies of %s %q", principal.Kind, principal.Name)
		}
		switch ord {
		case -1:
			found = true
		case 3:
			set.Boundary, set.BoundaryName = p.Document, p.Name
		case 2:
			p.From = store.Entity{Kind: store.EntityGroup, Name: grp}
			set.Policies = append(set.Policies, p)
		default:
			p.From = principal
			set.Policies = append(set.Policies, p)
		}
	}
	if err := rows.Err(); err != nil {
		return set, fail(err, "resolve policies of %s %q", principal.Kind, principal.Name)
	}
	if !found {
		return set, fail(ErrNoRows, "%s %q", principal.Kind, principal.Name)
	}
	return set, nil
}
