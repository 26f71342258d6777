// Package iam is sesame's policy engine: AWS IAM's policy language and
// evaluation logic, to the letter.
//
// A policy document is parsed strictly (ParseDocument: duplicate keys,
// trailing commas, characters IAM refuses and oversized documents are
// errors that name the line and column) and compiled once (NewPolicy,
// Compile) into a Policy that is never changed and is safe for concurrent
// use. A PolicySet holds the policies that govern a principal: identity
// policies, permissions boundary, session policy, SCPs and RCPs.
//
// Evaluation is pure: no I/O, no context, no error. PolicySet.Evaluate
// decides one (action, resource) request; PolicySet.Authorize decides a
// call that touches several resources, each with its own context (tags),
// and is denied when any resource is. The zero Decision is ImplicitDeny, so
// nothing that fails to decide can allow. Explain re-runs an evaluation
// with tracing to say why: the decisive statements, and for a denial the
// statements that nearly matched and the element that failed.
//
//	document ──ParseDocument──▶ Document ──Compile──▶ Policy
//	                                                    │
//	Call{principal, action, resources[ARN, tags]} ──▶ PolicySet.Authorize ──▶ Authorization
//	                                                    │                         │
//	                                                 Explain                Message (AWS's text)
//
// StartSession builds the call for ssm:StartSession: the target, then the
// session document (the default document too, unless the documented
// exemption is selected).
package iam
