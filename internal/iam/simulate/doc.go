// Package simulate runs IAM's SimulateCustomPolicy offline, with sesame's
// policy engine: the request and response are AWS's (field names, decision
// words, policy ids and types, statement positions, error codes), so that
// `sesame iam simulate-custom-policy` prints what `aws iam
// simulate-custom-policy` prints, and the server's IAM API can answer
// SimulateCustomPolicy (and later SimulatePrincipalPolicy) with the same
// code.
//
//	Input ──validate──▶ compile: PolicyInputList.N ──┐
//	                             PermissionsBoundaryPolicyInputList.1 ──▶ iam.PolicySet
//	                             ResourcePolicy, CallerArn, ContextEntries ──▶ iam.Request
//	      ──▶ for each action, for each resource: PolicySet.Explain ──▶ EvaluationResult
//
// How the results follow AWS:
//
//   - One EvaluationResult per (action, resource), actions first. Without
//     ResourceArns the resource is "*". A named resource also gets a
//     ResourceSpecificResults entry and, within one account, an empty
//     EvalDecisionDetails, as AWS answers for one resource. (For several
//     resources of one resource type AWS may group them under one result
//     named by the type's ARN template from its service catalogue, which
//     sesame does not carry; a result per resource says the same.)
//   - MatchedStatements: for allowed, the Allow statements of the identity
//     and resource policies that apply; for explicitDeny, the Deny
//     statements that apply, alone; for implicitDeny, none. Positions are
//     AWS's (see statementSpans): the start is just past the token before
//     the statement, the end just past its closing brace.
//   - SourcePolicyId is PolicyInputList.N, PermissionsBoundaryPolicyInputList.1
//     or ResourcePolicy; SourcePolicyType is "IAM Policy", "Permissions
//     Boundary Policy" or "Resource Policy" (AWS's words, though its API
//     model lists other values).
//   - The context is ContextEntries only: like AWS's simulator, Run derives
//     no keys (aws:username, aws:PrincipalArn, ...) from CallerArn, so a
//     policy reading them reports them in MissingContextValues. List types
//     make multivalued keys.
//   - CallerArn must be an IAM user; it is required with a ResourcePolicy
//     (AWS's rule: the Principal element needs a caller) and otherwise
//     unused, since accounts matter only with a resource policy. The server
//     fills it with the authenticated caller when the request has none.
//   - A resource is owned by the account in its ARN, else ResourceOwner,
//     else the caller's account; a different owner makes the simulation
//     cross-account, and EvalDecisionDetails then gives each policy type's
//     own decision.
//   - Policies are parsed as strictly as IAM stores them, except for the
//     storage quotas: the API takes documents of up to 131,072 characters.
//   - Results are paged by MaxItems (default 100) and Marker.
package simulate
