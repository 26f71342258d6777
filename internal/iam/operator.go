package iam

import (
	"fmt"
	"strings"
)

// family is the base comparison of a condition operator.
type family uint8

const (
	famStringEquals family = iota + 1
	famStringEqualsIgnoreCase
	famStringLike
	famNumericEquals
	famNumericLessThan
	famNumericLessThanEquals
	famNumericGreaterThan
	famNumericGreaterThanEquals
	famDateEquals
	famDateLessThan
	famDateLessThanEquals
	famDateGreaterThan
	famDateGreaterThanEquals
	famBool
	famBinaryEquals
	famIPAddress
	famArnLike
	famNull
)

// setQualifier is the ForAllValues / ForAnyValue prefix of an operator.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAll
	setForAny
)

// operator is a parsed condition operator name.
type operator struct {
	name     string
	family   family
	negated  bool
	ifExists bool
	set      setQualifier
}

// operatorNames maps every base operator name AWS accepts to its family and
// whether it is the negated form.
var operatorNames = map[string]struct {
	family  family
	negated bool
}{
	"StringEquals":              {famStringEquals, false},
	"StringNotEquals":           {famStringEquals, true},
	"StringEqualsIgnoreCase":    {famStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {famStringEqualsIgnoreCase, true},
	"StringLike":                {famStringLike, false},
	"StringNotLike":             {famStringLike, true},
	"NumericEquals":             {famNumericEquals, false},
	"NumericNotEquals":          {famNumericEquals, true},
	"NumericLessThan":           {famNumericLessThan, false},
	"NumericLessThanEquals":     {famNumericLessThanEquals, false},
	"NumericGreaterThan":        {famNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {famNumericGreaterThanEquals, false},
	"DateEquals":                {famDateEquals, false},
	"DateNotEquals":             {famDateEquals, true},
	"DateLessThan":              {famDateLessThan, false},
	"DateLessThanEquals":        {famDateLessThanEquals, false},
	"DateGreaterThan":           {famDateGreaterThan, false},
	"DateGreaterThanEquals":     {famDateGreaterThanEquals, false},
	"Bool":                      {famBool, false},
	"BinaryEquals":              {famBinaryEquals, false},
	"IpAddress":                 {famIPAddress, false},
	"NotIpAddress":              {famIPAddress, true},
	"ArnEquals":                 {famArnLike, false},
	"ArnNotEquals":              {famArnLike, true},
	"ArnLike":                   {famArnLike, false},
	"ArnNotLike":                {famArnLike, true},
	"Null":                      {famNull, false},
}

// parseOperator reads an operator name such as
// ForAnyValue:StringNotLikeIfExists. Operator names are case-sensitive,
// as in AWS.
func parseOperator(name string) (operator, error) {
	op := operator{name: name}
	base := name
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch q {
		case "ForAllValues":
			op.set = setForAll
		case "ForAnyValue":
			op.set = setForAny
		default:
			return op, fmt.Errorf("invalid condition operator %q: the only qualifiers are ForAllValues: and ForAnyValue:", name)
		}
		base = rest
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		op.ifExists = true
		base = b
	}
	f, ok := operatorNames[base]
	if !ok {
		return op, fmt.Errorf("invalid condition operator %q", name)
	}
	if f.family == famNull && op.ifExists {
		return op, fmt.Errorf("invalid condition operator %q: Null cannot be combined with IfExists", name)
	}
	op.family, op.negated = f.family, f.negated
	return op, nil
}

// takesVariables reports whether policy variables are substituted in the
// operator's values: only string and ARN operators take them.
func (f family) takesVariables() bool {
	switch f {
	case famStringEquals, famStringEqualsIgnoreCase, famStringLike, famArnLike:
		return true
	}
	return false
}

func (f family) String() string {
	switch f {
	case famStringEquals, famStringEqualsIgnoreCase, famStringLike:
		return "String"
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		return "Numeric"
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		return "Date"
	case famBool:
		return "Bool"
	case famBinaryEquals:
		return "Binary"
	case famIPAddress:
		return "IpAddress"
	case famArnLike:
		return "Arn"
	case famNull:
		return "Null"
	}
	return "unknown"
}
