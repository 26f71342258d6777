package lint

import "testing"

func TestCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		general, specific string
		fold, want        bool
	}{
		{"*", "anything", false, true},
		{"*", "a*b?", false, true},
		{"ssm:*", "ssm:StartSession", true, true},
		{"ssm:*", "ssm:Start*", true, true},
		{"ssm:Start*", "ssm:*", true, false},
		{"ssm:startsession", "SSM:StartSession", true, true},
		{"ssm:startsession", "SSM:StartSession", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "a?c", false, true},
		{"a?c", "a*c", false, false}, // ? is one character, * any number
		{"*x", "*", false, false},
		{"a*b*c", "a-b-b-c", false, true},
		{"abc", "ab", false, false},
	}
	for _, tc := range tests {
		if got := covers(tc.general, tc.specific, tc.fold); got != tc.want {
			t.Errorf("covers(%q, %q, %v) = %v, want %v", tc.general, tc.specific, tc.fold, got, tc.want)
		}
	}
}

func TestCanStartWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, prefix string
		want            bool
	}{
		{"document/SSM-SessionManagerRunShell", "document/", true},
		{"doc*", "document/", true},
		{"*", "document/", true},
		{"d?cument/x", "document/", true},
		{"instance/*", "document/", false},
		{"document/", "document/", false}, // no name after the slash
		{"session/${aws:username}-*", "session/", true},
	}
	for _, tc := range tests {
		if got := canStartWith(tc.pattern, tc.prefix); got != tc.want {
			t.Errorf("canStartWith(%q, %q) = %v, want %v", tc.pattern, tc.prefix, got, tc.want)
		}
	}
}

func TestResourceKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arn  string
		want kinds
	}{
		{"*", kAll},
		{"arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell", kDocument},
		{"arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession", kDocument},
		{"arn:aws:ec2:*:*:instance/*", kInstance},
		{"arn:aws:ssm:*:*:managed-instance/mi-0123456789abcdef0", kManagedInstance},
		{"arn:aws:ssm:*:*:*", kDocument | kManagedInstance | kSession},
		{"arn:aws:*:*:*:*", kAll},
		{"arn:aws:ecs:*:*:task/cluster/*", kTask},
		{"arn:aws:s3:::bucket", 0},
		{"not-an-arn", 0},
	}
	for _, tc := range tests {
		if got := parseResource(tc.arn).kinds(); got != tc.want {
			t.Errorf("kinds(%q) = %b, want %b", tc.arn, got, tc.want)
		}
	}
}

func TestCoversResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		general, specific string
		want              bool
	}{
		{"*", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::b", "*", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true},
		{"arn:aws:s3:::b/*", "arn:AWS:S3:::b/x", true},  // fields ignore case
		{"arn:aws:s3:::b/*", "arn:aws:s3:::B/x", false}, // the resource part does not
		{"arn:aws:ssm:*:*:document/*", "arn:aws:ssm:us-east-1::document/AWS-X", true},
		{"arn:aws:ssm:*:123456789012:document/*", "arn:aws:ssm:us-east-1::document/AWS-X", false},
		{"arn:aws:s3", "arn:aws:s3:::b", true}, // a short ARN is padded with *
	}
	for _, tc := range tests {
		if got := coversResource(parseResource(tc.general), parseResource(tc.specific)); got != tc.want {
			t.Errorf("coversResource(%q, %q) = %v, want %v", tc.general, tc.specific, got, tc.want)
		}
	}
}
