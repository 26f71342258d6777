package server

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/audit"
	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/store"
)

func TestSSMActivations(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.admin().SSM
	out, err := admin.CreateActivation(ctx, &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"),
		Description: aws.String("dev hosts"), RegistrationLimit: aws.Int32(3),
		Tags: []ssmtypes.Tag{{Key: aws.String("Env"), Value: aws.String("Dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !patActivationID.re.MatchString(*out.ActivationId) || !regexp.MustCompile(`^[A-Za-z0-9]{20}$`).MatchString(*out.ActivationCode) {
		t.Errorf("activation id %q, code %q", *out.ActivationId, *out.ActivationCode)
	}
	a := must(ts.Store.GetActivation(ctx, *out.ActivationId))(t)
	if strings.Contains(string(a.CodeHash), *out.ActivationCode) || len(a.CodeHash) != 32 {
		t.Errorf("the store keeps %q, not a hash of the code", a.CodeHash)
	}
	if d := a.ExpiresAt.Sub(a.CreatedAt); d != 24*time.Hour {
		t.Errorf("default expiry after %v, want 24h", d)
	}

	list, err := admin.DescribeActivations(ctx, &ssm.DescribeActivationsInput{Filters: []ssmtypes.DescribeActivationsFilter{
		{FilterKey: ssmtypes.DescribeActivationsFilterKeysActivationIds, FilterValues: []string{*out.ActivationId}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ActivationList) != 1 {
		t.Fatalf("DescribeActivations: %d activations, want 1", len(list.ActivationList))
	}
	got := list.ActivationList[0]
	if *got.IamRole != "SSMServiceRole" || *got.RegistrationLimit != 3 || *got.RegistrationsCount != 0 || got.Expired ||
		len(got.Tags) != 1 || *got.Tags[0].Key != "Env" || *got.Description != "dev hosts" {
		t.Errorf("activation = %+v", got)
	}

	for _, tc := range []struct {
		name string
		in   *ssm.CreateActivationInput
		code string
		msg  string
	}{
		{"limit too high", &ssm.CreateActivationInput{IamRole: aws.String("r"), RegistrationLimit: aws.Int32(1001)}, "ValidationException",
			"1 validation error detected: Value '1001' at 'registrationLimit' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"expiry past", &ssm.CreateActivationInput{IamRole: aws.String("r"), ExpirationDate: aws.Time(time.Now().Add(-time.Hour))}, "InvalidParameters", ""},
		{"expiry beyond 30 days", &ssm.CreateActivationInput{IamRole: aws.String("r"), ExpirationDate: aws.Time(time.Now().Add(31 * 24 * time.Hour))}, "InvalidParameters", ""},
		{"reserved tag", &ssm.CreateActivationInput{IamRole: aws.String("r"), Tags: []ssmtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}}, "InvalidParameters", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admin.CreateActivation(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}

	if _, err := admin.DeleteActivation(ctx, &ssm.DeleteActivationInput{ActivationId: out.ActivationId}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteActivation(ctx, &ssm.DeleteActivationInput{ActivationId: out.ActivationId})
	wantAPIError(t, err, "InvalidActivationId", "Activation ID "+*out.ActivationId+" does not exist.")
}

func TestSSMAgentRegistration(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	ts := newTestServer(t, func(c *Config) { c.Clock = clock.Now })
	ctx := context.Background()
	actID, code := newActivation(t, ts, 2, map[string]string{"Env": "Dev"})
	reg := func(body map[string]any) (int, map[string]any) {
		return agentPost(t, ts, "/agent/v1/register", "", body)
	}
	good := func() map[string]any {
		return map[string]any{"ActivationId": actID, "ActivationCode": code, "Hostname": "web1", "PlatformType": "Linux"}
	}

	status, out := reg(good())
	if status != http.StatusOK {
		t.Fatalf("register: %d %v", status, out)
	}
	mi := out["InstanceId"].(string)
	if !regexp.MustCompile(`^mi-[0-9a-f]{17}$`).MatchString(mi) || out["HeartbeatInterval"] != float64(30) {
		t.Errorf("register answered %v", out)
	}
	n := must(ts.Store.GetNode(ctx, mi))(t)
	if n.Name != "web" || n.IAMRole != "SSMServiceRole" || len(n.Tags) != 1 || n.Tags[0] != (store.Tag{Key: "Env", Value: "Dev"}) ||
		n.Info.ComputerName != "web1" || n.PingStatus != store.PingConnectionLost {
		t.Errorf("node = %+v", n)
	}
	if strings.Contains(string(n.CredentialsHash), out["Token"].(string)) {
		t.Error("the store keeps the token, not its hash")
	}

	ec2 := good()
	ec2["InstanceId"] = "i-0123456789abcdef0"
	if status, out := reg(ec2); status != http.StatusOK || out["InstanceId"] != "i-0123456789abcdef0" {
		t.Fatalf("register i-: %d %v", status, out)
	}

	act2, code2 := newActivation(t, ts, 5, nil)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"wrong code", map[string]any{"ActivationId": actID, "ActivationCode": strings.Repeat("x", 20), "Hostname": "h", "PlatformType": "Linux"}, 400, "InvalidActivation"},
		{"unknown activation", map[string]any{"ActivationId": "00000000-0000-4000-8000-000000000000", "ActivationCode": code, "Hostname": "h", "PlatformType": "Linux"}, 400, "InvalidActivation"},
		{"limit reached", good(), 400, "RegistrationLimitExceeded"},
		{"instance id taken", map[string]any{"ActivationId": act2, "ActivationCode": code2, "InstanceId": "i-0123456789abcdef0", "Hostname": "h", "PlatformType": "Linux"}, 409, "InstanceIdExists"},
		{"malformed JSON", `{"ActivationId":`, 400, "InvalidRequest"},
		{"unknown member", `{"ActivationId":"x","Extra":1}`, 400, "InvalidRequest"},
		{"bad instance id", map[string]any{"ActivationId": act2, "ActivationCode": code2, "InstanceId": "i-xyz", "Hostname": "h", "PlatformType": "Linux"}, 400, "InvalidRequest"},
		{"bad platform", map[string]any{"ActivationId": act2, "ActivationCode": code2, "Hostname": "h", "PlatformType": "Plan9"}, 400, "InvalidRequest"},
		{"too large", `{"Hostname":"` + strings.Repeat("a", maxAgentBody) + `"}`, 413, "RequestEntityTooLarge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			status, out := agentPost(t, ts, "/agent/v1/register", "", tc.body)
			if status != tc.status || out["Code"] != tc.code || out["Message"] == "" {
				t.Errorf("got %d %v, want %d %s", status, out, tc.status, tc.code)
			}
			if after := storeCounts(t, ts); after != before {
				t.Errorf("the store changed: %+v, then %+v", before, after)
			}
		})
	}

	exp, expCode := newActivation(t, ts, 1, nil)
	clock.Add(25 * time.Hour)
	status, out = reg(map[string]any{"ActivationId": exp, "ActivationCode": expCode, "Hostname": "h", "PlatformType": "Linux"})
	if status != 400 || out["Code"] != "ActivationExpired" {
		t.Errorf("expired activation: %d %v", status, out)
	}
}

func TestSSMHeartbeat(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	ts := newTestServer(t, func(c *Config) { c.Clock = clock.Now })
	ctx := context.Background()
	actID, code := newActivation(t, ts, 1, nil)
	n := registerNode(t, ts, actID, code, "", false)
	admin := ts.admin().SSM
	status := func() (string, string) {
		t.Helper()
		out, err := admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.InstanceInformationList) != 1 {
			t.Fatalf("%d nodes", len(out.InstanceInformationList))
		}
		conn, err := admin.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String(n.ID)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.InstanceInformationList[0].PingStatus), string(conn.Status)
	}
	if p, c := status(); p != "ConnectionLost" || c != "notconnected" {
		t.Errorf("before any heartbeat: %s, %s", p, c)
	}
	if code, out := agentPost(t, ts, "/agent/v1/heartbeat", n.Token, map[string]any{"AgentVersion": "3.3.2.0", "IPAddress": "10.0.0.9"}); code != 200 || out["PingStatus"] != "Online" {
		t.Fatalf("heartbeat: %d %v", code, out)
	}
	if p, c := status(); p != "Online" || c != "connected" {
		t.Errorf("after a heartbeat: %s, %s", p, c)
	}
	got := must(ts.Store.GetNode(ctx, n.ID))(t)
	if got.Info.AgentVersion != "3.3.2.0" || got.Info.IPAddress != "10.0.0.9" || got.Info.PlatformName != "Ubuntu" {
		t.Errorf("node info = %+v", got.Info)
	}
	clock.Add(nodePingTimeout + time.Second)
	if p, c := status(); p != "ConnectionLost" || c != "notconnected" {
		t.Errorf("after the ping timeout: %s, %s", p, c)
	}

	for _, tc := range []struct{ name, token string }{
		{"no token", ""},
		{"wrong secret", n.ID + ".AAAA"},
		{"unknown node", "mi-00000000000000000.AAAA"},
		{"garbage", "xyz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := agentPost(t, ts, "/agent/v1/heartbeat", tc.token, "")
			if code != http.StatusUnauthorized || out["Code"] != "InvalidToken" {
				t.Errorf("got %d %v", code, out)
			}
		})
	}
	if code, out := agentPost(t, ts, "/agent/v1/nothing", "", ""); code != 404 || out["Code"] != "NotFound" {
		t.Errorf("unknown agent path: %d %v", code, out)
	}
}

func TestSSMDescribeInstances(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	dev := taggedNode(t, ts, "i-0123456789abcdef0", map[string]string{"Env": "Dev"})
	prod := taggedNode(t, ts, "", map[string]string{"Env": "Prod"})
	actID, code := newActivation(t, ts, 1, nil)
	lost := registerNode(t, ts, actID, code, "", false)
	admin := ts.admin().SSM

	ids := func(list []ssmtypes.InstanceInformation) []string {
		var out []string
		for _, i := range list {
			out = append(out, *i.InstanceId)
		}
		return out
	}
	all, err := admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.InstanceInformationList) != 3 {
		t.Fatalf("%d nodes, want 3", len(all.InstanceInformationList))
	}
	for _, i := range all.InstanceInformationList {
		if *i.InstanceId == dev.ID {
			if i.ResourceType != ssmtypes.ResourceTypeEc2Instance || i.PingStatus != ssmtypes.PingStatusOnline || *i.ComputerName == "" ||
				*i.AgentVersion != "3.3.1.0" || i.PlatformType != ssmtypes.PlatformTypeLinux || *i.IPAddress != "10.0.0.5" ||
				*i.Name != "web" || i.LastPingDateTime == nil || i.RegistrationDate == nil || *i.IamRole != "SSMServiceRole" {
				t.Errorf("dev node = %+v", i)
			}
		}
	}
	for _, tc := range []struct {
		name string
		in   *ssm.DescribeInstanceInformationInput
		want []string
	}{
		{"tag", &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("tag:Env"), Values: []string{"Dev"}}}}, []string{dev.ID}},
		{"tag-key", &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("tag-key"), Values: []string{"Env"}}}}, []string{dev.ID, prod.ID}},
		{"ping status", &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("PingStatus"), Values: []string{"ConnectionLost"}}}}, []string{lost.ID}},
		{"ids, legacy list", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []ssmtypes.InstanceInformationFilter{{Key: ssmtypes.InstanceInformationFilterKeyInstanceIds, ValueSet: []string{prod.ID, lost.ID}}}}, []string{lost.ID, prod.ID}},
		{"resource type", &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("ResourceType"), Values: []string{"EC2Instance"}}}}, []string{dev.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := admin.DescribeInstanceInformation(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(out.InstanceInformationList)
			if diff := cmp.Diff(sortedIDs(tc.want), sortedIDs(got)); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
		})
	}
	_, err = admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("Color"), Values: []string{"x"}}}})
	wantAPIError(t, err, "InvalidFilterKey", "")
	_, err = admin.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidNextToken", "The specified token isn't valid.")

	// Pagination: 3 nodes, 5 a page at least (AWS's minimum), so use the
	// store's page through DescribeInstanceProperties' minimum too.
	var seen []string
	in := &ssm.DescribeInstancePropertiesInput{MaxResults: aws.Int32(5)}
	for p := ssm.NewDescribeInstancePropertiesPaginator(admin, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ip := range page.InstanceProperties {
			seen = append(seen, *ip.InstanceId)
		}
	}
	if len(seen) != 3 {
		t.Errorf("DescribeInstanceProperties: %v", seen)
	}
	props, err := admin.DescribeInstanceProperties(ctx, &ssm.DescribeInstancePropertiesInput{FiltersWithOperator: []ssmtypes.InstancePropertyStringFilter{
		{Key: aws.String("AgentVersion"), Values: []string{"3.3.0.0"}, Operator: ssmtypes.InstancePropertyFilterOperatorGreaterThan},
		{Key: aws.String("InstanceIds"), Values: []string{"mi-"}, Operator: ssmtypes.InstancePropertyFilterOperatorBeginWith},
		{Key: aws.String("PingStatus"), Values: []string{"ConnectionLost"}, Operator: ssmtypes.InstancePropertyFilterOperatorNotEqual},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(props.InstanceProperties) != 1 || *props.InstanceProperties[0].InstanceId != prod.ID {
		t.Errorf("filters with operators: %+v", props.InstanceProperties)
	}

	conn, err := admin.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String("mi-00000000000000000")})
	if err != nil || conn.Status != ssmtypes.ConnectionStatusNotConnected {
		t.Errorf("unknown target: %v %v", conn, err)
	}
}

func sortedIDs(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestSSMTags(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.admin().SSM
	n := taggedNode(t, ts, "", map[string]string{"Env": "Dev"})
	list := func(typ ssmtypes.ResourceTypeForTagging, id string) []ssmtypes.Tag {
		t.Helper()
		out, err := admin.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: typ, ResourceId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out.TagList
	}
	if _, err := admin.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance,
		ResourceId: aws.String(n.ID), Tags: []ssmtypes.Tag{{Key: aws.String("Team"), Value: aws.String("a")}, {Key: aws.String("Env"), Value: aws.String("Prod")}}}); err != nil {
		t.Fatal(err)
	}
	if got := list(ssmtypes.ResourceTypeForTaggingManagedInstance, n.ID); len(got) != 2 || *got[0].Key != "Env" || *got[0].Value != "Prod" {
		t.Errorf("tags = %+v", got)
	}
	if _, err := admin.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance,
		ResourceId: aws.String(n.ID), TagKeys: []string{"Team", "Absent"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(ssmtypes.ResourceTypeForTaggingManagedInstance, n.ID); len(got) != 1 {
		t.Errorf("tags after remove = %+v", got)
	}

	createSessionDoc(t, admin, "Custom-Shell", `{"schemaVersion":"1.0","sessionType":"Standard_Stream"}`)
	if _, err := admin.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingDocument,
		ResourceId: aws.String("Custom-Shell"), Tags: []ssmtypes.Tag{{Key: aws.String("Owner"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}
	if got := list(ssmtypes.ResourceTypeForTaggingDocument, "Custom-Shell"); len(got) != 1 || *got[0].Value != "ops" {
		t.Errorf("document tags = %+v", got)
	}

	many := make([]ssmtypes.Tag, 0, 51)
	for i := range 51 {
		many = append(many, ssmtypes.Tag{Key: aws.String("k" + string(rune('a'+i%26)) + string(rune('a'+i/26))), Value: aws.String("v")})
	}
	for _, tc := range []struct {
		name string
		in   *ssm.AddTagsToResourceInput
		code string
	}{
		{"unknown node", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String("mi-00000000000000000"), Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "InvalidResourceId"},
		{"bad node id", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String("web1"), Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "InvalidResourceId"},
		{"unsupported type", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String("p"), Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "InvalidResourceType"},
		{"aws document", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingDocument, ResourceId: aws.String("AWS-StartSSHSession"), Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "InvalidResourceId"},
		{"reserved key", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String(n.ID), Tags: []ssmtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}}, "InvalidParameters"},
		{"too many", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String(n.ID), Tags: many}, "TooManyTagsError"},
		{"bad key", &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String(n.ID), Tags: []ssmtypes.Tag{{Key: aws.String("a*b"), Value: aws.String("b")}}}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			_, err := admin.AddTagsToResource(ctx, tc.in)
			wantAPIError(t, err, tc.code, "")
			if after := storeCounts(t, ts); after != before {
				t.Errorf("the store changed: %+v, then %+v", before, after)
			}
		})
	}
}

// createSessionDoc creates a session document as the given client.
func createSessionDoc(t *testing.T, c *ssm.Client, name, content string) *ssmtypes.DocumentDescription {
	t.Helper()
	out, err := c.CreateDocument(context.Background(), &ssm.CreateDocumentInput{Name: aws.String(name), Content: aws.String(content),
		DocumentType: ssmtypes.DocumentTypeSession, DocumentFormat: ssmtypes.DocumentFormatJson})
	if err != nil {
		t.Fatalf("create document %s: %v", name, err)
	}
	return out.DocumentDescription
}

func TestSSMBuiltinDocuments(t *testing.T) {
	t.Parallel()
	for name, content := range builtinDocuments {
		if _, err := parseSessionDocument(content); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	ts := newTestServer(t, func(c *Config) { c.Account, c.Region = "111122223333", "ap-northeast-1" })
	ctx := context.Background()
	admin := ts.admin().SSM
	var names []string
	owners := map[string]string{}
	for p := ssm.NewListDocumentsPaginator(admin, &ssm.ListDocumentsInput{Filters: []ssmtypes.DocumentKeyValuesFilter{
		{Key: aws.String("DocumentType"), Values: []string{"Session"}}}}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.DocumentIdentifiers {
			names = append(names, *d.Name)
			owners[*d.Name] = *d.Owner
		}
	}
	want := []string{"AWS-StartInteractiveCommand", "AWS-StartNonInteractiveCommand", "AWS-StartPortForwardingSession",
		"AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartSSHSession", "SSM-SessionManagerRunShell"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if owners["AWS-StartSSHSession"] != "Amazon" || owners["SSM-SessionManagerRunShell"] != "111122223333" {
		t.Errorf("owners = %v", owners)
	}
	amazon, err := admin.ListDocuments(ctx, &ssm.ListDocumentsInput{Filters: []ssmtypes.DocumentKeyValuesFilter{{Key: aws.String("Owner"), Values: []string{"Amazon"}}}})
	if err != nil || len(amazon.DocumentIdentifiers) != 5 {
		t.Errorf("Owner Amazon: %v %v", amazon, err)
	}
	d, err := admin.DescribeDocument(ctx, &ssm.DescribeDocumentInput{Name: aws.String("arn:aws:ssm:ap-northeast-1::document/AWS-StartPortForwardingSession")})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for _, p := range d.Document.Parameters {
		params[*p.Name] = aws.ToString(p.DefaultValue)
	}
	if d.Document.Owner == nil || *d.Document.Owner != "Amazon" || params["portNumber"] != "80" || params["localPortNumber"] != "0" ||
		*d.Document.SchemaVersion != "1.0" || d.Document.DocumentType != ssmtypes.DocumentTypeSession {
		t.Errorf("DescribeDocument = %+v, parameters %v", d.Document, params)
	}
	_, err = admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("AWS-StartSSHSession"), Content: aws.String(`{"schemaVersion":"1.0","sessionType":"Standard_Stream"}`)})
	wantAPIError(t, err, "InvalidDocumentOperation", "")
	_, err = admin.DeleteDocument(ctx, &ssm.DeleteDocumentInput{Name: aws.String("AWS-StartSSHSession")})
	wantAPIError(t, err, "InvalidDocumentOperation", "")
	_, err = admin.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String("SSM-SessionManagerRunShell"), DocumentType: ssmtypes.DocumentTypeSession,
		Content: aws.String(builtinDocuments["SSM-SessionManagerRunShell"])})
	wantAPIError(t, err, "DocumentAlreadyExists", "")
}

func TestSSMDocuments(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.admin().SSM
	v1 := `{"schemaVersion":"1.0","description":"shell","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"10","shellProfile":{"linux":"cd ~"}}}`
	d := createSessionDoc(t, admin, "Team-Shell", v1)
	if *d.DocumentVersion != "1" || *d.DefaultVersion != "1" || *d.Owner != "123456789012" || d.Status != ssmtypes.DocumentStatusActive ||
		*d.Description != "shell" || d.HashType != ssmtypes.DocumentHashTypeSha256 || len(*d.Hash) != 64 {
		t.Errorf("CreateDocument = %+v", d)
	}
	_, err := admin.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String("Team-Shell"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(v1)})
	wantAPIError(t, err, "DocumentAlreadyExists", "")

	v2 := strings.Replace(v1, `"10"`, `"15"`, 1)
	up, err := admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("Team-Shell"), Content: aws.String(v2), VersionName: aws.String("v2"), DocumentVersion: aws.String("$LATEST")})
	if err != nil {
		t.Fatal(err)
	}
	if *up.DocumentDescription.DocumentVersion != "2" || *up.DocumentDescription.DefaultVersion != "1" || *up.DocumentDescription.LatestVersion != "2" {
		t.Errorf("UpdateDocument = %+v", up.DocumentDescription)
	}
	_, err = admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("Team-Shell"), Content: aws.String(v2)})
	wantAPIError(t, err, "DuplicateDocumentContent", "")
	_, err = admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("Team-Shell"), Content: aws.String(v1), DocumentVersion: aws.String("1")})
	wantAPIError(t, err, "InvalidDocumentVersion", "")
	_, err = admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("Team-Shell"), Content: aws.String(strings.Replace(v1, `"10"`, `"11"`, 1)), VersionName: aws.String("v2")})
	wantAPIError(t, err, "DuplicateDocumentVersionName", "")

	get := func(in *ssm.GetDocumentInput) *ssm.GetDocumentOutput {
		t.Helper()
		out, err := admin.GetDocument(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if g := get(&ssm.GetDocumentInput{Name: aws.String("Team-Shell")}); *g.Content != v1 || *g.DocumentVersion != "1" {
		t.Errorf("default version: %+v", g)
	}
	if g := get(&ssm.GetDocumentInput{Name: aws.String("Team-Shell"), VersionName: aws.String("v2")}); *g.Content != v2 {
		t.Errorf("by version name: %+v", g)
	}
	if g := get(&ssm.GetDocumentInput{Name: aws.String("arn:aws:ssm:us-east-1:123456789012:document/Team-Shell"), DocumentVersion: aws.String("$LATEST")}); *g.DocumentVersion != "2" {
		t.Errorf("by ARN, $LATEST: %+v", g)
	}
	def, err := admin.UpdateDocumentDefaultVersion(ctx, &ssm.UpdateDocumentDefaultVersionInput{Name: aws.String("Team-Shell"), DocumentVersion: aws.String("2")})
	if err != nil || *def.Description.DefaultVersion != "2" || *def.Description.DefaultVersionName != "v2" {
		t.Fatalf("UpdateDocumentDefaultVersion: %+v %v", def, err)
	}
	if g := get(&ssm.GetDocumentInput{Name: aws.String("Team-Shell")}); *g.Content != v2 {
		t.Errorf("new default: %+v", g)
	}
	_, err = admin.UpdateDocumentDefaultVersion(ctx, &ssm.UpdateDocumentDefaultVersionInput{Name: aws.String("Team-Shell"), DocumentVersion: aws.String("9")})
	wantAPIError(t, err, "InvalidDocumentVersion", "")
	_, err = admin.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String("Team-Shell"), DocumentVersion: aws.String("7")})
	wantAPIError(t, err, "InvalidDocumentVersion", "")
	_, err = admin.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String("Nope-Doc")})
	wantAPIError(t, err, "InvalidDocument", "Document with name Nope-Doc does not exist.")

	if _, err := admin.DeleteDocument(ctx, &ssm.DeleteDocumentInput{Name: aws.String("Team-Shell")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DescribeDocument(ctx, &ssm.DescribeDocumentInput{Name: aws.String("Team-Shell")})
	wantAPIError(t, err, "InvalidDocument", "")

	// The preferences document: its inputs are checked.
	_, err = admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("SSM-SessionManagerRunShell"),
		Content: aws.String(`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"61"}}`)})
	wantAPIError(t, err, "InvalidDocumentContent", `inputs.idleSessionTimeout is "61"; it must be a whole number of minutes from 1 to 60.`)
	if _, err := admin.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String("SSM-SessionManagerRunShell"),
		Content: aws.String(`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"60","maxSessionDuration":"1440","runAsEnabled":true,"runAsDefaultUser":"ops"}}`)}); err != nil {
		t.Errorf("valid preferences: %v", err)
	}

	for _, tc := range []struct {
		name string
		in   *ssm.CreateDocumentInput
		code string
		msg  string
	}{
		{"reserved name", &ssm.CreateDocumentInput{Name: aws.String("AWS-Mine"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(v1)}, "ValidationException", ""},
		{"bad name", &ssm.CreateDocumentInput{Name: aws.String("a b"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(v1)}, "ValidationException",
			`1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\-.]{3,128}$`},
		{"command type", &ssm.CreateDocumentInput{Name: aws.String("Cmd-Doc"), Content: aws.String(v1)}, "InvalidDocumentContent", ""},
		{"yaml", &ssm.CreateDocumentInput{Name: aws.String("Yaml-Doc"), DocumentType: ssmtypes.DocumentTypeSession, DocumentFormat: ssmtypes.DocumentFormatYaml, Content: aws.String("a: b")}, "InvalidDocumentContent", ""},
		{"schema 2.2", &ssm.CreateDocumentInput{Name: aws.String("New-Doc"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(`{"schemaVersion":"2.2","sessionType":"Port"}`)}, "InvalidDocumentSchemaVersion", ""},
		{"display name", &ssm.CreateDocumentInput{Name: aws.String("New-Doc"), DisplayName: aws.String("x"), DocumentType: ssmtypes.DocumentTypeSession, Content: aws.String(v1)}, "ValidationException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			_, err := admin.CreateDocument(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.msg)
			if after := storeCounts(t, ts); after != before {
				t.Errorf("the store changed: %+v, then %+v", before, after)
			}
		})
	}
}

func TestSSMSessionDocumentSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content, code, msg string
	}{
		{"not JSON", `{`, "InvalidDocumentContent", "The document is not a JSON object: unexpected EOF."},
		{"unknown member", `{"schemaVersion":"1.0","sessionType":"Port","mainSteps":[]}`, "InvalidDocumentContent",
			`Unknown member "mainSteps" at the top level of the document. A session document has schemaVersion, description, sessionType, inputs, parameters and properties.`},
		{"no session type", `{"schemaVersion":"1.0"}`, "InvalidDocumentContent", "The member sessionType is required."},
		{"bad session type", `{"schemaVersion":"1.0","sessionType":"Shell"}`, "InvalidDocumentContent",
			`sessionType "Shell" is not valid. Use one of Standard_Stream, Port, InteractiveCommands, NonInteractiveCommands.`},
		{"schema version", `{"schemaVersion":"2.2","sessionType":"Port"}`, "InvalidDocumentSchemaVersion", `Session documents use schemaVersion "1.0", not "2.2".`},
		{"max duration", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"maxSessionDuration":"1441"}}`, "InvalidDocumentContent",
			`inputs.maxSessionDuration is "1441"; it must be a whole number of minutes from 1 to 1440.`},
		{"idle zero", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"0"}}`, "InvalidDocumentContent", ""},
		{"runAs not bool", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"runAsEnabled":"yes"}}`, "InvalidDocumentContent", "inputs.runAsEnabled must be true or false."},
		{"unknown input", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"idleTimeout":"5"}}`, "InvalidDocumentContent", ""},
		{"shell profile", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"shellProfile":{"mac":"x"}}}`, "InvalidDocumentContent", ""},
		{"port without port", `{"schemaVersion":"1.0","sessionType":"Port","properties":{"type":"LocalPortForwarding"}}`, "InvalidDocumentContent", "properties.portNumber is required."},
		{"undeclared parameter", `{"schemaVersion":"1.0","sessionType":"Port","properties":{"portNumber":"{{ port }}"}}`, "InvalidDocumentContent",
			`The document uses the parameter {{ port }} but does not declare it. Add "port" to parameters.`},
		{"default against pattern", `{"schemaVersion":"1.0","sessionType":"Port","parameters":{"p":{"type":"String","allowedPattern":"^[0-9]+$","default":"x"}},"properties":{"portNumber":"{{p}}"}}`,
			"InvalidDocumentContent", `The default of parameter p, "x", does not match its allowedPattern ^[0-9]+$.`},
		{"parameter type", `{"schemaVersion":"1.0","sessionType":"Port","parameters":{"p":{"type":"Text"}},"properties":{"portNumber":"1"}}`, "InvalidDocumentContent", ""},
		{"commands missing", `{"schemaVersion":"1.0","sessionType":"InteractiveCommands","properties":{"linux":{"runAsElevated":true}}}`, "InvalidDocumentContent", "properties.linux.commands is required."},
		{"stream properties", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","properties":{"x":1}}`, "InvalidDocumentContent", ""},
		{"too big", `{"schemaVersion":"1.0","sessionType":"Standard_Stream","description":"` + strings.Repeat("x", maxDocumentSize) + `"}`, "MaxDocumentSizeExceeded", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSessionDocument(tc.content)
			if err == nil {
				t.Fatal("no error")
			}
			e := awsapi.As(err)
			if e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
				t.Errorf("error = %s: %q\nwant    %s: %q", e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
	for _, ok := range []string{
		`{"schemaVersion":"1.0","sessionType":"Standard_Stream"}`,
		`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"s3EncryptionEnabled":"true","idleSessionTimeout":20,"kmsKeyId":""},"properties":{}}`,
		`{"schemaVersion":"1.0","sessionType":"NonInteractiveCommands","parameters":{"logpath":{"type":"String","default":"/var/log/syslog"}},"properties":{"linux":{"commands":"tail -f {{ logpath }}","runAsElevated":true}}}`,
		`{"schemaVersion":"1.0","sessionType":"Port","parameters":{"portNumber":{"type":"String","allowedValues":["22","80"],"default":"22"}},"properties":{"portNumber":"{{ portNumber }}","host":"{{ ssm:db-host }}"}}`,
	} {
		if _, err := parseSessionDocument(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestSSMSessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.admin().SSM
	n := taggedNode(t, ts, "", map[string]string{"Env": "Dev"})

	out, err := admin.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID), Reason: aws.String("debugging")})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.SessionId
	if !regexp.MustCompile(`^admin-[0-9a-f]{17}$`).MatchString(id) {
		t.Errorf("session id %q", id)
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	if *out.StreamUrl != "ws://"+host+"/v1/data-channel/"+id+"?role=publish_subscribe" {
		t.Errorf("StreamUrl = %q", *out.StreamUrl)
	}
	if len(*out.TokenValue) > 300 || !strings.HasPrefix(*out.TokenValue, "AAEAA") {
		t.Errorf("TokenValue = %q", *out.TokenValue)
	}
	now := ts.cfg.Clock()
	if err := ts.checkStreamToken(id, *out.TokenValue, now); err != nil {
		t.Errorf("checkStreamToken: %v", err)
	}
	if ts.checkStreamToken("other-1", *out.TokenValue, now) == nil || ts.checkStreamToken(id, *out.TokenValue, now.Add(streamTokenTTL)) == nil ||
		ts.checkStreamToken(id, *out.TokenValue+"x", now) == nil {
		t.Error("checkStreamToken accepts a token for another session, an expired token or a changed one")
	}
	sess := must(ts.Store.GetSession(ctx, id))(t)
	wantTags := []store.Tag{{Key: tagSessionID, Value: must(ts.Store.GetUser(ctx, "admin"))(t).ID}, {Key: tagTargetID, Value: n.ID}}
	if diff := cmp.Diff(wantTags, sess.Tags); diff != "" {
		t.Errorf("session tags (-want +got):\n%s", diff)
	}
	if sess.Owner != ts.Admin.ARN || sess.DocumentName != "SSM-SessionManagerRunShell" || sess.Reason != "debugging" || sess.Target != n.ID {
		t.Errorf("session = %+v", sess)
	}

	active, err := admin.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive})
	if err != nil || len(active.Sessions) != 1 || *active.Sessions[0].SessionId != id || *active.Sessions[0].Owner != ts.Admin.ARN {
		t.Fatalf("DescribeSessions Active: %+v %v", active, err)
	}
	res, err := admin.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(id)})
	if err != nil || *res.TokenValue == "" || *res.TokenValue == *out.TokenValue {
		t.Errorf("ResumeSession: %+v %v", res, err)
	}
	for range 2 { // idempotent
		if term, err := admin.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil || *term.SessionId != id {
			t.Fatalf("TerminateSession: %+v %v", term, err)
		}
	}
	hist, err := admin.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateHistory,
		Filters: []ssmtypes.SessionFilter{{Key: ssmtypes.SessionFilterKeyTargetId, Value: aws.String(n.ID)}, {Key: ssmtypes.SessionFilterKeyStatus, Value: aws.String("Terminated")}}})
	if err != nil || len(hist.Sessions) != 1 || hist.Sessions[0].EndDate == nil || hist.Sessions[0].Status != ssmtypes.SessionStatusTerminated {
		t.Fatalf("DescribeSessions History: %+v %v", hist, err)
	}
	res, err = admin.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(id)})
	if err != nil || res.TokenValue != nil {
		t.Errorf("ResumeSession of a terminated session: %+v %v", res, err)
	}
	_, err = admin.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String("admin-00000000000000000")})
	wantAPIError(t, err, "DoesNotExistException", "")

	// Paging and filters of DescribeSessions.
	for range 3 {
		if _, err := admin.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID)}); err != nil {
			t.Fatal(err)
		}
	}
	var pages, total int
	for p := ssm.NewDescribeSessionsPaginator(admin, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages, total = pages+1, total+len(page.Sessions)
	}
	if pages != 2 || total != 3 {
		t.Errorf("%d pages, %d sessions; want 2, 3", pages, total)
	}
	none, err := admin.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive,
		Filters: []ssmtypes.SessionFilter{{Key: ssmtypes.SessionFilterKeyInvokedAfter, Value: aws.String(time.Now().Add(time.Hour).Format(time.RFC3339))}}})
	if err != nil || len(none.Sessions) != 0 {
		t.Errorf("InvokedAfter: %+v %v", none, err)
	}
	_, err = admin.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive, NextToken: aws.String("nope")})
	wantAPIError(t, err, "InvalidNextToken", "")

	// Documents and parameters.
	if _, err := admin.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID), DocumentName: aws.String("AWS-StartPortForwardingSession"),
		Parameters: map[string][]string{"portNumber": {"8080"}, "localPortNumber": {"0"}}}); err != nil {
		t.Errorf("port forwarding: %v", err)
	}
	for _, tc := range []struct {
		name string
		in   *ssm.StartSessionInput
		code string
		msg  string
	}{
		{"unknown parameter", &ssm.StartSessionInput{Target: aws.String(n.ID), DocumentName: aws.String("AWS-StartSSHSession"), Parameters: map[string][]string{"port": {"22"}}},
			"InvalidParameters", `Parameter "port" is not defined in document AWS-StartSSHSession.`},
		{"bad value", &ssm.StartSessionInput{Target: aws.String(n.ID), DocumentName: aws.String("AWS-StartSSHSession"), Parameters: map[string][]string{"portNumber": {"99999"}}},
			"InvalidParameters", ""},
		{"missing parameter", &ssm.StartSessionInput{Target: aws.String(n.ID), DocumentName: aws.String("AWS-StartPortForwardingSessionToRemoteHost")},
			"InvalidParameters", `Parameter "host" is required by document AWS-StartPortForwardingSessionToRemoteHost.`},
		{"unknown document", &ssm.StartSessionInput{Target: aws.String(n.ID), DocumentName: aws.String("No-Such-Doc")}, "InvalidDocument", "Document with name No-Such-Doc does not exist."},
		{"unknown target", &ssm.StartSessionInput{Target: aws.String("i-0000000000000000f")}, "TargetNotConnected", "i-0000000000000000f is not connected."},
		{"bad reason", &ssm.StartSessionInput{Target: aws.String(n.ID), Reason: aws.String("a\nb")}, "ValidationException",
			"1 validation error detected: Value 'a\nb' at 'reason' failed to satisfy constraint: Member must satisfy regular expression pattern: ^.{1,256}$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			_, err := admin.StartSession(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.msg)
			if after := storeCounts(t, ts); after != before {
				t.Errorf("the store changed: %+v, then %+v", before, after)
			}
		})
	}
}

// TestSSMTargetNotConnected: a node that stopped heartbeating cannot be
// the target of a session.
func TestSSMTargetNotConnected(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	ts := newTestServer(t, func(c *Config) { c.Clock = clock.Now })
	n := taggedNode(t, ts, "i-0123456789abcdef0", nil)
	clock.Add(nodePingTimeout + time.Second)
	_, err := ts.admin().SSM.StartSession(context.Background(), &ssm.StartSessionInput{Target: aws.String(n.ID)})
	wantAPIError(t, err, "TargetNotConnected", "i-0123456789abcdef0 is not connected.")
}

// TestSSMBadInput: requests no SDK sends get AWS-shaped errors and change
// nothing.
func TestSSMBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	taggedNode(t, ts, "", nil)
	for _, tc := range []struct {
		name, target, body string
		status             int
		code, msg          string
	}{
		{"malformed JSON", "AmazonSSM.StartSession", `{"Target":`, 400, "SerializationException", ""},
		{"unknown member", "AmazonSSM.CreateActivation", `{"IamRole":"r","Color":"red"}`, 400, "SerializationException", `Unknown member "Color" in the request`},
		{"wrong type", "AmazonSSM.DescribeSessions", `{"State":"Active","MaxResults":"ten"}`, 400, "SerializationException", ""},
		{"unknown operation", "AmazonSSM.LaunchRockets", `{}`, 400, "UnknownOperationException", "Unknown operation LaunchRockets"},
		{"missing required", "AmazonSSM.StartSession", `{}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null"},
		{"two errors", "AmazonSSM.DescribeSessions", `{"State":"Now","MaxResults":500}`, 400, "ValidationException",
			"2 validation errors detected: Value 'Now' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]; " +
				"Value '500' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 200"},
		{"unknown target", "AmazonSSM.StartSession", `{"Target":"mi-0123456789abcdef0"}`, 400, "TargetNotConnected", "mi-0123456789abcdef0 is not connected."},
		{"invalid target", "AmazonSSM.StartSession", `{"Target":"web1"}`, 400, "ValidationException", ""},
		{"bad filter key", "AmazonSSM.DescribeSessions", `{"State":"Active","Filters":[{"key":"Color","value":"red"}]}`, 400, "ValidationException", ""},
		{"oversized body", "AmazonSSM.CreateDocument", `{"Name":"Big-Doc","Content":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "RequestEntityTooLarge", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeCounts(t, ts)
			status, body := ts.rawSSM(t, tc.target, []byte(tc.body))
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("answer is not JSON: %s", body)
			}
			if status != tc.status || e.Type != tc.code || (tc.msg != "" && e.Message != tc.msg) {
				t.Errorf("got %d %s: %q\nwant %d %s: %q", status, e.Type, e.Message, tc.status, tc.code, tc.msg)
			}
			if after := storeCounts(t, ts); after != before {
				t.Errorf("the store changed: %+v, then %+v", before, after)
			}
		})
	}
}

// TestSSMAudit: registrations and SSM calls are audited, denials with
// their reason, secrets hidden.
func TestSSMAudit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	actID, code := newActivation(t, ts, 1, nil)
	n := registerNode(t, ts, actID, code, "", true)
	u := newSSMUser(t, ts, "nobody")
	_, err := u.SSM.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(n.ID)})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = ts.admin().SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
		InstanceInformationFilterList: []ssmtypes.InstanceInformationFilter{{Key: ssmtypes.InstanceInformationFilterKeyInstanceIds, ValueSet: []string{"web1"}}}})
	wantAPIError(t, err, "InvalidInstanceId", "Instance Id web1 is not valid.")

	var reg, denied *audit.Record
	for r, err := range audit.Query(ctx, ts.AuditPath, audit.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		switch r.EventName {
		case "RegisterManagedInstance":
			reg = r
		case "StartSession":
			denied = r
		}
	}
	if reg == nil || denied == nil {
		t.Fatalf("audit records: registration %v, StartSession %v", reg, denied)
	}
	if b, _ := json.Marshal(reg); strings.Contains(string(b), code) || !strings.Contains(string(b), n.ID) {
		t.Errorf("registration record: %s", b)
	}
	if denied.ErrorCode != "AccessDeniedException" || denied.AdditionalEventData == nil ||
		denied.AdditionalEventData.DeniedResource != ts.nodeARN(n.ID) || denied.AdditionalEventData.Reason == "" {
		t.Errorf("StartSession record: %+v %+v", denied, denied.AdditionalEventData)
	}
}
