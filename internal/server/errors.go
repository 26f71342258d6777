package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/store"
)

// What a store error was about: the kind of entity and its name. The
// table below turns store errors into AWS's wire errors for each kind:
// the one place where domain errors meet the wire (with awsapi).
type entity struct {
	kind string
	name string
}

// Entity kinds.
const (
	kUser         = "user"
	kGroup        = "group"
	kRole         = "role"
	kPolicy       = "policy"
	kInline       = "inline policy"
	kAccessKey    = "access key"
	kActivation   = "activation"
	kNode         = "managed node"
	kDocument     = "document"
	kDocVersion   = "document version"
	kSession      = "session"
	kTagsResource = "resource"
	// IAM's inline policies by holder, policy versions ("ARN version
	// vN"), attachments (by policy ARN) and quotas named by AWS's quota
	// text ("PoliciesPerUser: 10").
	kUserPolicy    = "user policy"
	kGroupPolicy   = "group policy"
	kRolePolicy    = "role policy"
	kPolicyVersion = "policy version"
	kAttached      = "attached policy"
	kQuota         = "quota"
)

var iamKinds = map[string]bool{kUser: true, kGroup: true, kRole: true, kPolicy: true, kInline: true, kAccessKey: true,
	kUserPolicy: true, kGroupPolicy: true, kRolePolicy: true, kPolicyVersion: true, kAttached: true, kQuota: true}

// storeError turns an error from the store about e into AWS's error.
// Errors that are not the store's kinds become InternalFailure (logged by
// the pipeline, never shown).
func storeError(err error, e entity) error {
	if err == nil {
		return nil
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		return err
	}
	if iamKinds[e.kind] {
		return iamStoreError(err, e)
	}
	return ssmStoreError(err, e)
}

func iamStoreError(err error, e entity) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		switch e.kind {
		case kUser:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The user with name %s cannot be found.", e.name)
		case kRole:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", e.name)
		case kGroup:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The group with name %s cannot be found.", e.name)
		case kPolicy, kPolicyVersion:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s does not exist or is not attachable.", e.name)
		case kAttached:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s was not found.", e.name)
		case kInline, kUserPolicy, kGroupPolicy, kRolePolicy:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The %s with name %s cannot be found.", e.kind, e.name)
		case kAccessKey:
			return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The Access Key with id %s cannot be found.", e.name)
		}
		return awsapi.Errorf(http.StatusNotFound, "NoSuchEntity", "The %s %s cannot be found.", e.kind, e.name)
	case errors.Is(err, store.ErrExists):
		switch e.kind {
		case kUser:
			return awsapi.Errorf(http.StatusConflict, "EntityAlreadyExists", "User with name %s already exists.", e.name)
		case kRole:
			return awsapi.Errorf(http.StatusConflict, "EntityAlreadyExists", "Role with name %s already exists.", e.name)
		case kGroup:
			return awsapi.Errorf(http.StatusConflict, "EntityAlreadyExists", "Group with name %s already exists.", e.name)
		case kPolicy:
			return awsapi.Errorf(http.StatusConflict, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", e.name)
		}
		return awsapi.Errorf(http.StatusConflict, "EntityAlreadyExists", "%s %s already exists.", e.kind, e.name)
	case errors.Is(err, store.ErrConflict):
		switch e.kind {
		case kPolicy:
			return awsapi.Errorf(http.StatusConflict, "DeleteConflict", "Cannot delete a policy attached to entities.")
		case kPolicyVersion:
			return awsapi.Errorf(http.StatusConflict, "DeleteConflict", "Cannot delete the default version of a policy.")
		}
		return awsapi.Errorf(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove its dependents first (%s %s).", e.kind, e.name)
	case errors.Is(err, store.ErrLimitExceeded):
		switch e.kind {
		case kPolicyVersion:
			return awsapi.Errorf(http.StatusConflict, "LimitExceeded", "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", store.MaxPolicyVersions)
		case kQuota:
			return awsapi.Errorf(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for %s", e.name)
		}
		return awsapi.Errorf(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for %s", quotaName(e.kind))
	case errors.Is(err, store.ErrInvalidToken):
		return awsapi.Errorf(http.StatusBadRequest, "InvalidInput", "Invalid Marker.")
	}
	return err
}

func quotaName(kind string) string {
	switch kind {
	case kAccessKey:
		return fmt.Sprintf("AccessKeysPerUser: %d", store.MaxAccessKeys)
	case kPolicy:
		return fmt.Sprintf("PolicyVersionsPerPolicy: %d", store.MaxPolicyVersions)
	}
	return kind + "s"
}

func ssmStoreError(err error, e entity) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		switch e.kind {
		case kNode:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidInstanceId", "Instance Id %s is not valid.", e.name)
		case kDocument:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidDocument", "Document with name %s does not exist.", e.name)
		case kDocVersion:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Document version %s does not exist.", e.name)
		case kActivation:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidActivationId", "Activation ID %s does not exist.", e.name)
		case kSession:
			return awsapi.Errorf(http.StatusBadRequest, "DoesNotExistException", "Session with id %s does not exist.", e.name)
		case kTagsResource:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidResourceId", "The resource ID %s is not valid. Verify the ID and try again.", e.name)
		}
		return awsapi.Errorf(http.StatusBadRequest, "DoesNotExistException", "%s %s does not exist.", e.kind, e.name)
	case errors.Is(err, store.ErrExists):
		if e.kind == kDocument {
			return awsapi.Errorf(http.StatusBadRequest, "DocumentAlreadyExists", "Document with same name %s already exists", e.name)
		}
		return awsapi.Errorf(http.StatusBadRequest, "AlreadyExistsException", "%s %s already exists.", e.kind, e.name)
	case errors.Is(err, store.ErrLimitExceeded):
		switch e.kind {
		case kTagsResource:
			return awsapi.Errorf(http.StatusBadRequest, "TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the command again.")
		case kDocVersion, kDocument:
			return awsapi.Errorf(http.StatusBadRequest, "DocumentVersionLimitExceeded", "The document has too many versions. Delete one or more document versions and try again.")
		case kActivation:
			return awsapi.Errorf(http.StatusBadRequest, "InvalidActivation", "Activation %s has reached its registration limit.", e.name)
		}
		return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "Limit exceeded for %s %s.", e.kind, e.name)
	case errors.Is(err, store.ErrExpired):
		return awsapi.Errorf(http.StatusBadRequest, "InvalidActivation", "Activation %s has expired.", e.name)
	case errors.Is(err, store.ErrConflict):
		if e.kind == kSession {
			return awsapi.Errorf(http.StatusBadRequest, "InvalidSessionState", "Session %s cannot change to that state.", e.name)
		}
		return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "The %s %s is in use.", e.kind, e.name)
	case errors.Is(err, store.ErrInvalidToken):
		return awsapi.Errorf(http.StatusBadRequest, "InvalidNextToken", "The specified token isn't valid.")
	}
	return err
}
