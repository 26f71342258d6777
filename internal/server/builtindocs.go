package server

import (
	"context"
	"errors"

	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// The session documents every account has: AWS's own (owner Amazon, ARNs
// without an account) and the account's SSM-SessionManagerRunShell, which
// holds the session preferences and is the default document. They are
// written to the store the first time they are needed, so that a new
// server, and a server whose preferences document was deleted, has them;
// they follow protocol.md §3.1 and §5.
var builtinDocuments = map[string]string{
	iam.DefaultSessionDocument: `{
  "schemaVersion": "1.0",
  "description": "Document to hold regional settings for Session Manager",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "",
    "s3KeyPrefix": "",
    "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "",
    "cloudWatchEncryptionEnabled": true,
    "cloudWatchStreamingEnabled": false,
    "kmsKeyId": "",
    "runAsEnabled": false,
    "runAsDefaultUser": "",
    "idleSessionTimeout": "20",
    "maxSessionDuration": "",
    "shellProfile": {
      "windows": "",
      "linux": ""
    }
  }
}`,

	"AWS-StartPortForwardingSession": `{
  "schemaVersion": "1.0",
  "description": "Document to start port forwarding session over Session Manager",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {
      "type": "String",
      "description": "(Optional) Port number of the server on the instance",
      "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
      "default": "80"
    },
    "localPortNumber": {
      "type": "String",
      "description": "(Optional) Port number on local machine to forward traffic to. An open port is chosen at run-time if not provided",
      "allowedPattern": "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
      "default": "0"
    }
  },
  "properties": {
    "portNumber": "{{ portNumber }}",
    "type": "LocalPortForwarding",
    "localPortNumber": "{{ localPortNumber }}"
  }
}`,

	"AWS-StartPortForwardingSessionToRemoteHost": `{
  "schemaVersion": "1.0",
  "description": "Document to start port forwarding session over Session Manager to a remote host",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {
      "type": "String",
      "description": "(Optional) Port number of the server on the remote host",
      "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
      "default": "80"
    },
    "localPortNumber": {
      "type": "String",
      "description": "(Optional) Port number on local machine to forward traffic to. An open port is chosen at run-time if not provided",
      "allowedPattern": "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
      "default": "0"
    },
    "host": {
      "type": "String",
      "description": "(Required) The IP address or DNS name of the remote host",
      "allowedPattern": "^[a-zA-Z0-9.:_\\-\\[\\]]{1,253}$"
    }
  },
  "properties": {
    "portNumber": "{{ portNumber }}",
    "type": "LocalPortForwarding",
    "localPortNumber": "{{ localPortNumber }}",
    "host": "{{ host }}"
  }
}`,

	"AWS-StartSSHSession": `{
  "schemaVersion": "1.0",
  "description": "Document to start SSH session over Session Manager",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {
      "type": "String",
      "description": "(Optional) Port number of SSH server on the instance",
      "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
      "default": "22"
    }
  },
  "properties": {
    "portNumber": "{{ portNumber }}"
  }
}`,

	"AWS-StartInteractiveCommand": `{
  "schemaVersion": "1.0",
  "description": "Document to run single interactive command on an instance",
  "sessionType": "InteractiveCommands",
  "parameters": {
    "command": {
      "type": "String",
      "description": "(Required) The command to run on the instance"
    }
  },
  "properties": {
    "linux": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "windows": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "macos": {
      "commands": "{{ command }}",
      "runAsElevated": false
    }
  }
}`,

	"AWS-StartNonInteractiveCommand": `{
  "schemaVersion": "1.0",
  "description": "Document to run single non-interactive command on an instance",
  "sessionType": "NonInteractiveCommands",
  "parameters": {
    "command": {
      "type": "String",
      "description": "(Required) The command to run on the instance"
    }
  },
  "properties": {
    "linux": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "windows": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "macos": {
      "commands": "{{ command }}",
      "runAsElevated": false
    }
  }
}`,
}

// ensureBuiltin writes the built-in document name to the store unless it
// is there. It reports whether name is a built-in document.
func (s *Server) ensureBuiltin(ctx context.Context, name string) (bool, error) {
	content, ok := builtinDocuments[name]
	if !ok {
		return false, nil
	}
	d, err := parseSessionDocument(content)
	if err != nil {
		return true, err // a bug in the table above; TestSSMBuiltinDocuments checks it
	}
	owner := "Amazon"
	if name == iam.DefaultSessionDocument {
		owner = s.cfg.Account
	}
	err = s.cfg.Store.CreateDocument(ctx, store.Document{Name: name, Owner: owner, DocumentType: "Session", Format: "JSON",
		Description: d.Description, Content: content, CreatedAt: s.cfg.Clock().UTC()})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return true, err
	}
	return true, nil
}

// ensureBuiltins writes every missing built-in document.
func (s *Server) ensureBuiltins(ctx context.Context) error {
	for name := range builtinDocuments {
		_, err := s.cfg.Store.GetDocument(ctx, name, "")
		if errors.Is(err, store.ErrNotFound) {
			_, err = s.ensureBuiltin(ctx, name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// loadDocument reads a document at a version ("" for the default),
// writing a built-in one on first use.
func (s *Server) loadDocument(ctx context.Context, name, version string) (store.Document, error) {
	d, err := s.cachedDocument(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		if builtin, berr := s.ensureBuiltin(ctx, name); builtin {
			if berr != nil {
				return d, berr
			}
			d, err = s.cachedDocument(ctx, name, version)
		}
	}
	return d, err
}
