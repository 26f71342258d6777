// Package lint checks IAM policy documents the way IAM Access Analyzer's
// ValidatePolicy does, and adds the Session Manager checks no tool has.
//
// Lint returns findings, each with a severity (Access Analyzer's four
// findingType values: ERROR, SECURITY_WARNING, WARNING, SUGGESTION), an
// issue code, a message, the JSON path, line and column of the element,
// and often a fix. It never fails: a document that is not JSON gives the
// findings that say where.
//
//	document ──iam.CheckDocument──▶ problems ──▶ ERROR findings (syntax.go)
//	    │
//	    └──iam.ParseTree + Document──▶ checks ──▶ findings, sorted by position
//
// The checks, one file per family (Access Analyzer issue codes unless
// marked):
//
//	syntax.go     every problem the parser reports (JSON_SYNTAX_ERROR,
//	              INVALID_VERSION, DUPLICATE_KEYS_WITH_DIFFERENT_CASE,
//	              INVALID_CONDITION_OPERATOR, NULL_WITH_IF_EXISTS, ...), ERROR
//	document.go   MISSING_VERSION, EMPTY_SID_VALUE, UNSUPPORTED_SID,
//	              UNIQUE_SIDS_REQUIRED / UNIQUE_SIDS_RECOMMENDED, the
//	              EMPTY_ARRAY_* and EMPTY_OBJECT_* family,
//	              ALLOW_WITH_NOT_PRINCIPAL, ALLOW_WITH_NOT_RESOURCE (after
//	              Parliament's NOTRESOURCE_WITH_ALLOW), WILDCARD_IN_SERVICE_NAME
//	variable.go   VARIABLE_UNSUPPORTED_IN_VERSION,
//	              VARIABLE_UNSUPPORTED_IN_ELEMENT, INVALID_VARIABLE_FOR_OPERATOR,
//	              MISSING_BRACE_IN_VARIABLE, EMPTY_VARIABLE,
//	              UNSUPPORTED_SPACE_IN_VARIABLE, MISSING_QUOTE_IN_VARIABLE
//	condition.go  MISSING_TAG_KEY_IN_CONDITION, MISSING_QUALIFIER,
//	              FORALLVALUES_WITH_SINGLE_VALUED_KEY, NULL_WITH_QUALIFIER,
//	              TYPE_MISMATCH and TYPE_MISMATCH_{BOOLEAN,NUMBER,DATE,IP_RANGE,STRING},
//	              INVALID_DATE_VALUE, IMPROVE_IP_RANGE,
//	              INVALID_CONDITION_MULTIPLE_BOOLEAN, REDUNDANT_CONDITION_VALUE_NUM,
//	              WILDCARD_WITHOUT_LIKE_OPERATOR
//	tags.go       UNSUPPORTED_ACTION_FOR_CONDITION_KEY (resource-tag keys on
//	              actions that do not carry them)
//	redundant.go  REDUNDANT_ACTION, REDUNDANT_RESOURCE, REDUNDANT_STATEMENT
//	session.go    sesame's own: SSM_DOCUMENT_TAG_CONDITION,
//	              SSM_MISSING_SESSION_DOCUMENT, SSM_SESSION_ARN_USERNAME,
//	              SSM_SESSION_ARN_USERID, SSM_EC2_INSTANCES_ONLY,
//	              SSM_DENY_ALL_SESSIONS
//
// What the checks know about keys and actions is in keys.go; a check that
// needs a fact not listed there stays silent rather than guess. Matching
// questions go to the engine (iam.MatchWildcard, Statement.MatchesAction,
// Operator.Accepts), so the linter and the evaluator never disagree.
package lint
