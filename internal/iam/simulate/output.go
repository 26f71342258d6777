package simulate

// Output is SimulateCustomPolicy's response. Fields are in the order of
// AWS's response shapes, which is the order the aws CLI prints them in.
type Output struct {
	EvaluationResults []EvaluationResult `json:"EvaluationResults"`
	// IsTruncated is true when more results follow; pass Marker to get
	// them.
	IsTruncated bool   `json:"IsTruncated"`
	Marker      string `json:"Marker,omitempty"`
}

// EvaluationResult is the decision for one action on one resource.
type EvaluationResult struct {
	EvalActionName   string `json:"EvalActionName"`
	EvalResourceName string `json:"EvalResourceName"`
	// EvalDecision is allowed, explicitDeny or implicitDeny.
	EvalDecision string `json:"EvalDecision"`
	// MatchedStatements are the statements the decision rests on: every
	// Allow that applies when allowed, every Deny that applies when
	// explicitly denied, none for an implicit deny.
	MatchedStatements []Statement `json:"MatchedStatements"`
	// MissingContextValues are condition keys and policy variables the
	// policies read that ContextEntries did not give.
	MissingContextValues        []string                     `json:"MissingContextValues"`
	OrganizationsDecisionDetail *OrganizationsDecisionDetail `json:"OrganizationsDecisionDetail,omitempty"`
	// PermissionsBoundaryDecisionDetail is set when a boundary was given.
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `json:"PermissionsBoundaryDecisionDetail,omitempty"`
	// EvalDecisionDetails is, for a cross-account simulation, each
	// policy type's own decision ("IAM Policy", "Resource Policy",
	// "Permissions Boundary Policy"). It is present but empty for a
	// same-account simulation of a named resource, and absent for "*".
	EvalDecisionDetails *DecisionDetails `json:"EvalDecisionDetails,omitempty"`
	// ResourceSpecificResults repeats the result for the resource when
	// ResourceArns named resources.
	ResourceSpecificResults []ResourceSpecificResult `json:"ResourceSpecificResults,omitempty"`
}

// ResourceSpecificResult is the decision for one named resource.
type ResourceSpecificResult struct {
	EvalResourceName                  string                             `json:"EvalResourceName"`
	EvalResourceDecision              string                             `json:"EvalResourceDecision"`
	MatchedStatements                 []Statement                        `json:"MatchedStatements"`
	MissingContextValues              []string                           `json:"MissingContextValues"`
	EvalDecisionDetails               *DecisionDetails                   `json:"EvalDecisionDetails,omitempty"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `json:"PermissionsBoundaryDecisionDetail,omitempty"`
}

// DecisionDetails maps a policy type to its decision.
type DecisionDetails map[string]string

// Statement locates a statement of an input policy.
type Statement struct {
	// SourcePolicyId is PolicyInputList.N, PermissionsBoundaryPolicyInputList.1
	// or ResourcePolicy.
	SourcePolicyId string `json:"SourcePolicyId"`
	// SourcePolicyType is "IAM Policy", "Permissions Boundary Policy" or
	// "Resource Policy".
	SourcePolicyType string   `json:"SourcePolicyType"`
	StartPosition    Position `json:"StartPosition"`
	EndPosition      Position `json:"EndPosition"`
}

// Position is a line and column of a policy document, both from 1.
type Position struct {
	Line   int `json:"Line"`
	Column int `json:"Column"`
}

// OrganizationsDecisionDetail says whether SCPs allow. SimulateCustomPolicy
// takes no SCPs, so Run never sets it; SimulatePrincipalPolicy will.
type OrganizationsDecisionDetail struct {
	AllowedByOrganizations bool `json:"AllowedByOrganizations"`
}

// PermissionsBoundaryDecisionDetail says whether the boundary allows: an
// Allow of it applies and no Deny does.
type PermissionsBoundaryDecisionDetail struct {
	AllowedByPermissionsBoundary bool `json:"AllowedByPermissionsBoundary"`
}
