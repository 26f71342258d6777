package audit

import (
	"errors"
	"fmt"
	"time"
)

// appendRecord appends r to dst as one line of JSON: the bytes
// encoding/json's Encoder writes for r without HTML escaping, with
// RequestParameters and ResponseElements redacted (appendElements). It
// writes the fields by hand because a record is written for every API
// call; TestAppendRecord and FuzzAppendRecord hold it to encoding/json.
func appendRecord(dst []byte, r *Record) ([]byte, error) {
	dst = appendKey(dst, '{', "eventVersion")
	dst = appendString(dst, r.EventVersion)
	dst = appendKey(dst, ',', "userIdentity")
	dst = appendUserIdentity(dst, &r.UserIdentity)
	dst = appendKey(dst, ',', "eventTime")
	dst, err := appendTime(dst, r.EventTime)
	if err != nil {
		return dst, err
	}
	dst = appendField(dst, "eventSource", r.EventSource)
	dst = appendField(dst, "eventName", r.EventName)
	dst = appendField(dst, "awsRegion", r.AWSRegion)
	dst = appendField(dst, "sourceIPAddress", r.SourceIPAddress)
	dst = appendField(dst, "userAgent", r.UserAgent)
	dst = appendOptional(dst, "errorCode", r.ErrorCode)
	dst = appendOptional(dst, "errorMessage", r.ErrorMessage)
	dst = appendKey(dst, ',', "requestParameters")
	if dst, err = appendElements(dst, r.RequestParameters); err != nil {
		return dst, fmt.Errorf("request parameters: %w", err)
	}
	dst = appendKey(dst, ',', "responseElements")
	if dst, err = appendElements(dst, r.ResponseElements); err != nil {
		return dst, fmt.Errorf("response elements: %w", err)
	}
	if d := r.AdditionalEventData; d != nil {
		dst = appendKey(dst, ',', "additionalEventData")
		dst = append(dst, '{')
		n := len(dst)
		dst = appendOptional(dst, "decision", d.Decision)
		dst = appendOptional(dst, "deniedResource", d.DeniedResource)
		dst = appendOptional(dst, "reason", d.Reason)
		dst = closeObject(dst, n)
	}
	dst = appendField(dst, "requestID", r.RequestID)
	dst = appendField(dst, "eventID", r.EventID)
	dst = appendKey(dst, ',', "readOnly")
	dst = appendBool(dst, r.ReadOnly)
	if len(r.Resources) > 0 {
		dst = appendKey(dst, ',', "resources")
		for i, res := range r.Resources {
			dst = append(dst, "[,"[min(i, 1)])
			dst = appendKey(dst, '{', "ARN")
			dst = appendString(dst, res.ARN)
			dst = appendOptional(dst, "accountId", res.AccountID)
			dst = appendOptional(dst, "type", res.Type)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = appendField(dst, "eventType", r.EventType)
	dst = appendKey(dst, ',', "managementEvent")
	dst = appendBool(dst, r.ManagementEvent)
	dst = appendField(dst, "recipientAccountId", r.RecipientAccountID)
	dst = appendField(dst, "eventCategory", r.EventCategory)
	if t := r.TLSDetails; t != nil {
		dst = appendKey(dst, ',', "tlsDetails")
		dst = appendKey(dst, '{', "tlsVersion")
		dst = appendString(dst, t.TLSVersion)
		dst = appendField(dst, "cipherSuite", t.CipherSuite)
		dst = appendField(dst, "clientProvidedHostHeader", t.ClientProvidedHostHeader)
		dst = append(dst, '}')
	}
	return append(dst, '}', '\n'), nil
}

func appendUserIdentity(dst []byte, u *UserIdentity) []byte {
	dst = appendKey(dst, '{', "type")
	dst = appendString(dst, u.Type)
	dst = appendOptional(dst, "principalId", u.PrincipalID)
	dst = appendOptional(dst, "arn", u.ARN)
	dst = appendOptional(dst, "accountId", u.AccountID)
	dst = appendOptional(dst, "accessKeyId", u.AccessKeyID)
	dst = appendOptional(dst, "userName", u.UserName)
	if c := u.SessionContext; c != nil {
		dst = appendKey(dst, ',', "sessionContext")
		dst = append(dst, '{')
		if s := c.SessionIssuer; s != nil {
			dst = appendKey(dst, 0, "sessionIssuer")
			dst = appendKey(dst, '{', "type")
			dst = appendString(dst, s.Type)
			dst = appendField(dst, "principalId", s.PrincipalID)
			dst = appendField(dst, "arn", s.ARN)
			dst = appendField(dst, "accountId", s.AccountID)
			dst = appendField(dst, "userName", s.UserName)
			dst = append(dst, '}', ',')
		}
		dst = appendKey(dst, 0, "attributes")
		dst = appendKey(dst, '{', "creationDate")
		dst = appendString(dst, c.Attributes.CreationDate)
		dst = appendField(dst, "mfaAuthenticated", c.Attributes.MFAAuthenticated)
		dst = append(dst, '}')
		dst = appendOptional(dst, "sourceIdentity", c.SourceIdentity)
		dst = append(dst, '}')
	}
	dst = appendOptional(dst, "invokedBy", u.InvokedBy)
	return append(dst, '}')
}

// appendKey appends sep (none when 0) and "key":. Keys are plain ASCII.
func appendKey(dst []byte, sep byte, key string) []byte {
	if sep != 0 {
		dst = append(dst, sep)
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendField appends ,"key":"v".
func appendField(dst []byte, key, v string) []byte {
	return appendString(appendKey(dst, ',', key), v)
}

// appendOptional appends ,"key":"v" unless v is empty (omitempty).
func appendOptional(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	return appendField(dst, key, v)
}

// closeObject ends an object of optional fields opened at dst[n-1]: the
// first field's comma goes.
func closeObject(dst []byte, n int) []byte {
	if len(dst) > n {
		dst = append(dst[:n], dst[n+1:]...) // the first field's ','
	}
	return append(dst, '}')
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds as needed), and fails like it for a year it cannot write.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, errors.New("event time: year outside of range [0,9999]")
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}
