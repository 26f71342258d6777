package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// nodePingStatus is a node's status when read: Online while its control
// channel is open, or else while its last ping is younger than
// nodePingTimeout. (Pings of open control channels are stored only every
// pingPersistInterval, so the channel itself is the live answer.)
func (s *Server) nodePingStatus(n *store.Node, now time.Time) store.PingStatus {
	if s.hub != nil && s.hub.live(n.ID, now) {
		return store.PingOnline
	}
	if n.PingStatus == store.PingOnline && now.Sub(n.LastPingAt) > nodePingTimeout {
		return store.PingConnectionLost
	}
	return n.PingStatus
}

// nodeLastPing is when node n was last heard from: its agent's last
// message on an open control channel, which the store records only
// every pingPersistInterval, or the store's last ping (n may come from
// the cache, older still).
func (s *Server) nodeLastPing(n *store.Node) time.Time {
	if s.hub != nil {
		if seen := s.hub.lastSeen(n.ID); seen.After(n.LastPingAt) {
			return seen
		}
	}
	return n.LastPingAt
}

func nodeResourceType(id string) string {
	if strings.HasPrefix(id, "i-") {
		return "EC2Instance"
	}
	return "ManagedInstance"
}

// nodeFilter is one filter of DescribeInstanceInformation or
// DescribeInstanceProperties: a key, an operator and values.
type nodeFilter struct {
	key    string
	op     string // Equal, NotEqual, BeginWith, LessThan, GreaterThan
	values []string
}

// nodeFilterKeys are the keys both operations filter on, besides tag:K
// and tag-key.
var nodeFilterKeys = []string{"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType", "AssociationStatus", "DocumentName"}

// checkNodeFilters checks the filters' keys and values; badValue is the
// operation's error code for a value that cannot match anything sensible.
func checkNodeFilters(fs []nodeFilter, badValue string) error {
	for _, f := range fs {
		switch {
		case strings.HasPrefix(f.key, "tag:") && len(f.key) > 4, f.key == "tag-key":
			continue
		case !slices.Contains(nodeFilterKeys, f.key):
			return awsapi.Errorf(http.StatusBadRequest, "InvalidFilterKey", "The filter key %s is not valid. Valid keys are %s, tag-key and tag:<key>.", f.key, strings.Join(nodeFilterKeys, ", "))
		}
		for _, v := range f.values {
			if f.key == "InstanceIds" && (f.op == "Equal" || f.op == "NotEqual") && !patInstanceID.re.MatchString(v) {
				return storeError(store.ErrNotFound, entity{kNode, v})
			}
			var ok bool
			switch f.key {
			case "PingStatus":
				ok = slices.Contains([]string{"Online", "ConnectionLost", "Inactive"}, v)
			case "PlatformTypes":
				ok = slices.Contains([]string{"Windows", "Linux", "MacOS"}, v)
			case "ResourceType":
				ok = slices.Contains([]string{"ManagedInstance", "EC2Instance"}, v)
			default:
				ok = true
			}
			if !ok && f.op != "BeginWith" {
				return awsapi.Errorf(http.StatusBadRequest, badValue, "The value %s is not valid for the filter key %s.", v, f.key)
			}
		}
	}
	return nil
}

// nodeStoreFilter is the part of the filters the store can apply: equality
// on ids, platform types and tags. Every filter is applied again in
// memory (matchNode), so this only narrows what is read.
func nodeStoreFilter(fs []nodeFilter) store.NodeFilter {
	var sf store.NodeFilter
	ids, platforms := false, false
	for _, f := range fs {
		if f.op != "Equal" {
			continue
		}
		switch {
		case f.key == "InstanceIds" && !ids:
			sf.IDs, ids = f.values, true
		case f.key == "PlatformTypes" && !platforms:
			sf.PlatformTypes, platforms = f.values, true
		case strings.HasPrefix(f.key, "tag:"):
			sf.Tags = append(sf.Tags, store.TagFilter{Key: f.key[4:], Values: f.values})
		}
	}
	return sf
}

// nodeValues returns what a node has for a filter key.
func (s *Server) nodeValues(n *store.Node, key string, now time.Time) []string {
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	switch key {
	case "InstanceIds":
		return one(n.ID)
	case "AgentVersion":
		return one(n.Info.AgentVersion)
	case "PingStatus":
		return one(string(s.nodePingStatus(n, now)))
	case "PlatformTypes":
		return one(n.Info.PlatformType)
	case "ActivationIds":
		return one(n.ActivationID)
	case "IamRole":
		return one(n.IAMRole)
	case "ResourceType":
		return one(nodeResourceType(n.ID))
	case "tag-key":
		var keys []string
		for _, t := range n.Tags {
			keys = append(keys, t.Key)
		}
		return keys
	}
	if k, ok := strings.CutPrefix(key, "tag:"); ok {
		for _, t := range n.Tags {
			if t.Key == k {
				return []string{t.Value}
			}
		}
	}
	return nil // AssociationStatus, DocumentName: sesame has no associations
}

// matchNode reports whether a node passes every filter.
func (s *Server) matchNode(n *store.Node, fs []nodeFilter, now time.Time) bool {
	for _, f := range fs {
		have := s.nodeValues(n, f.key, now)
		hit := false
		for _, h := range have {
			for _, want := range f.values {
				switch f.op {
				case "Equal", "NotEqual":
					hit = hit || h == want
				case "BeginWith":
					hit = hit || strings.HasPrefix(h, want)
				case "LessThan":
					hit = hit || compareNodeValues(f.key, h, want) < 0
				case "GreaterThan":
					hit = hit || compareNodeValues(f.key, h, want) > 0
				}
			}
		}
		if hit == (f.op == "NotEqual") {
			return false
		}
	}
	return true
}

// compareNodeValues compares agent versions number by number, and anything
// else as strings.
func compareNodeValues(key, a, b string) int {
	if key != "AgentVersion" {
		return strings.Compare(a, b)
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// listNodes reads one page of nodes and keeps those that pass the
// filters.
func (s *Server) listNodes(ctx context.Context, fs []nodeFilter, limit int, token string) ([]store.Node, string, error) {
	// The store filters and pages the ids; the nodes come from the cache,
	// where a busy server has them all.
	page, err := s.cfg.Store.ListNodeIDs(ctx, nodeStoreFilter(fs), store.ListOptions{Limit: limit, Token: token})
	if err != nil {
		return nil, "", storeError(err, entity{kNode, ""})
	}
	now := s.cfg.Clock()
	out := make([]store.Node, 0, len(page.Items))
	for _, id := range page.Items {
		n, err := s.cachedNode(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, "", storeError(err, entity{kNode, id})
		}
		if s.matchNode(&n, fs, now) {
			out = append(out, n)
		}
	}
	return out, page.NextToken, nil
}

type describeInstanceInformationInput struct {
	InstanceInformationFilterList []struct {
		Key      *string  `json:"key"`
		ValueSet []string `json:"valueSet"`
	} `json:"InstanceInformationFilterList"`
	Filters []struct {
		Key    *string  `json:"Key"`
		Values []string `json:"Values"`
	} `json:"Filters"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

func (in *describeInstanceInformationInput) filters() ([]nodeFilter, error) {
	var v violations
	var fs []nodeFilter
	for i, f := range in.InstanceInformationFilterList {
		p := fmt.Sprintf("instanceInformationFilterList.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.enum(p+".key", f.Key, "InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType", "AssociationStatus")
		}
		checkValueSet(&v, p+".valueSet", f.ValueSet, 100, 0)
		fs = append(fs, nodeFilter{key: orEmpty(f.Key), op: "Equal", values: f.ValueSet})
	}
	for i, f := range in.Filters {
		p := fmt.Sprintf("filters.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.str(p+".key", f.Key, 1, -1, nil)
		}
		checkValueSet(&v, p+".values", f.Values, 100, 0)
		fs = append(fs, nodeFilter{key: orEmpty(f.Key), op: "Equal", values: f.Values})
	}
	v.intRange("maxResults", in.MaxResults, 5, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	return fs, nil
}

// checkValueSet checks a filter's values: 1 to max of them, each at
// least one character (and at most maxLen when maxLen > 0).
func checkValueSet(v *violations, path string, values []string, max, maxLen int) {
	if values == nil {
		v.required(path, false)
		return
	}
	v.count(path, len(values), 1, max)
	for i := range values {
		limit := -1
		if maxLen > 0 {
			limit = maxLen
		}
		v.str(fmt.Sprintf("%s.%d.member", path, i+1), &values[i], 1, limit, nil)
	}
}

type instanceInformation struct {
	InstanceID       string `json:"InstanceId"`
	PingStatus       string `json:"PingStatus"`
	LastPingDateTime epoch  `json:"LastPingDateTime,omitzero"`
	AgentVersion     string `json:"AgentVersion,omitempty"`
	IsLatestVersion  bool   `json:"IsLatestVersion"`
	PlatformType     string `json:"PlatformType,omitempty"`
	PlatformName     string `json:"PlatformName,omitempty"`
	PlatformVersion  string `json:"PlatformVersion,omitempty"`
	ActivationID     string `json:"ActivationId,omitempty"`
	IamRole          string `json:"IamRole,omitempty"`
	RegistrationDate epoch  `json:"RegistrationDate,omitzero"`
	ResourceType     string `json:"ResourceType"`
	Name             string `json:"Name,omitempty"`
	IPAddress        string `json:"IPAddress,omitempty"`
	ComputerName     string `json:"ComputerName,omitempty"`
	SourceID         string `json:"SourceId"`
	SourceType       string `json:"SourceType"`
}

func nodeSourceType(id string) string {
	if strings.HasPrefix(id, "i-") {
		return "AWS::EC2::Instance"
	}
	return "AWS::SSM::ManagedInstance"
}

// instanceInfo is a node as DescribeInstanceInformation shows it. sesame
// ships its agents with the server and has no release feed, so any agent
// that reports a version counts as the latest.
func (s *Server) instanceInfo(n *store.Node, now time.Time) instanceInformation {
	return instanceInformation{
		InstanceID: n.ID, PingStatus: string(s.nodePingStatus(n, now)), LastPingDateTime: epoch(s.nodeLastPing(n)),
		AgentVersion: n.Info.AgentVersion, IsLatestVersion: n.Info.AgentVersion != "",
		PlatformType: n.Info.PlatformType, PlatformName: n.Info.PlatformName, PlatformVersion: n.Info.PlatformVersion,
		ActivationID: n.ActivationID, IamRole: n.IAMRole, RegistrationDate: epoch(n.RegisteredAt),
		ResourceType: nodeResourceType(n.ID), Name: n.Name, IPAddress: n.Info.IPAddress, ComputerName: n.Info.ComputerName,
		SourceID: n.ID, SourceType: nodeSourceType(n.ID),
	}
}

type describeInstanceInformationOutput struct {
	InstanceInformationList []instanceInformation `json:"InstanceInformationList"`
	NextToken               string                `json:"NextToken,omitempty"`
}

// describeInstanceInformation is DescribeInstanceInformation.
func (s *Server) describeInstanceInformation(ctx context.Context, c *call) (any, error) {
	var in describeInstanceInformationInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	fs, err := in.filters()
	if err != nil {
		return nil, err
	}
	if err := checkNodeFilters(fs, "InvalidInstanceInformationFilterValue"); err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	nodes, next, err := s.listNodes(ctx, fs, maxResults(in.MaxResults, 50), orEmpty(in.NextToken))
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock()
	out := &describeInstanceInformationOutput{InstanceInformationList: []instanceInformation{}, NextToken: next}
	for i := range nodes {
		out.InstanceInformationList = append(out.InstanceInformationList, s.instanceInfo(&nodes[i], now))
	}
	return out, nil
}

type describeInstancePropertiesInput struct {
	InstancePropertyFilterList []struct {
		Key      *string  `json:"key"`
		ValueSet []string `json:"valueSet"`
	} `json:"InstancePropertyFilterList"`
	FiltersWithOperator []struct {
		Key      *string  `json:"Key"`
		Values   []string `json:"Values"`
		Operator *string  `json:"Operator"`
	} `json:"FiltersWithOperator"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

func (in *describeInstancePropertiesInput) filters() ([]nodeFilter, error) {
	var v violations
	var fs []nodeFilter
	if in.InstancePropertyFilterList != nil {
		v.count("instancePropertyFilterList", len(in.InstancePropertyFilterList), 1, 40)
	}
	for i, f := range in.InstancePropertyFilterList {
		p := fmt.Sprintf("instancePropertyFilterList.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.enum(p+".key", f.Key, nodeFilterKeys...)
		}
		checkValueSet(&v, p+".valueSet", f.ValueSet, 40, 100000)
		fs = append(fs, nodeFilter{key: orEmpty(f.Key), op: "Equal", values: f.ValueSet})
	}
	if in.FiltersWithOperator != nil {
		v.count("filtersWithOperator", len(in.FiltersWithOperator), 1, 40)
	}
	for i, f := range in.FiltersWithOperator {
		p := fmt.Sprintf("filtersWithOperator.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.str(p+".key", f.Key, 1, 100000, nil)
		}
		checkValueSet(&v, p+".values", f.Values, 40, 100000)
		v.enum(p+".operator", f.Operator, "Equal", "NotEqual", "BeginWith", "LessThan", "GreaterThan")
		op := orEmpty(f.Operator)
		if op == "" {
			op = "Equal"
		}
		fs = append(fs, nodeFilter{key: orEmpty(f.Key), op: op, values: f.Values})
	}
	v.intRange("maxResults", in.MaxResults, 5, 1000)
	if err := v.err(); err != nil {
		return nil, err
	}
	return fs, nil
}

type instanceProperty struct {
	Name             string `json:"Name,omitempty"`
	InstanceID       string `json:"InstanceId"`
	InstanceRole     string `json:"InstanceRole,omitempty"`
	IPAddress        string `json:"IPAddress,omitempty"`
	PingStatus       string `json:"PingStatus"`
	LastPingDateTime epoch  `json:"LastPingDateTime,omitzero"`
	AgentVersion     string `json:"AgentVersion,omitempty"`
	PlatformType     string `json:"PlatformType,omitempty"`
	PlatformName     string `json:"PlatformName,omitempty"`
	PlatformVersion  string `json:"PlatformVersion,omitempty"`
	ActivationID     string `json:"ActivationId,omitempty"`
	IamRole          string `json:"IamRole,omitempty"`
	RegistrationDate epoch  `json:"RegistrationDate,omitzero"`
	ResourceType     string `json:"ResourceType"`
	ComputerName     string `json:"ComputerName,omitempty"`
	SourceID         string `json:"SourceId"`
	SourceType       string `json:"SourceType"`
}

type describeInstancePropertiesOutput struct {
	InstanceProperties []instanceProperty `json:"InstanceProperties"`
	NextToken          string             `json:"NextToken,omitempty"`
}

// describeInstanceProperties is DescribeInstanceProperties.
func (s *Server) describeInstanceProperties(ctx context.Context, c *call) (any, error) {
	var in describeInstancePropertiesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	fs, err := in.filters()
	if err != nil {
		return nil, err
	}
	if err := checkNodeFilters(fs, "InvalidInstancePropertyFilterValue"); err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	nodes, next, err := s.listNodes(ctx, fs, maxResults(in.MaxResults, 50), orEmpty(in.NextToken))
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock()
	out := &describeInstancePropertiesOutput{InstanceProperties: []instanceProperty{}, NextToken: next}
	for i := range nodes {
		n := &nodes[i]
		out.InstanceProperties = append(out.InstanceProperties, instanceProperty{
			Name: n.Name, InstanceID: n.ID, InstanceRole: n.IAMRole, IPAddress: n.Info.IPAddress,
			PingStatus: string(s.nodePingStatus(n, now)), LastPingDateTime: epoch(s.nodeLastPing(n)), AgentVersion: n.Info.AgentVersion,
			PlatformType: n.Info.PlatformType, PlatformName: n.Info.PlatformName, PlatformVersion: n.Info.PlatformVersion,
			ActivationID: n.ActivationID, IamRole: n.IAMRole, RegistrationDate: epoch(n.RegisteredAt),
			ResourceType: nodeResourceType(n.ID), ComputerName: n.Info.ComputerName, SourceID: n.ID, SourceType: nodeSourceType(n.ID),
		})
	}
	return out, nil
}

// sessionTarget is a session target: its ARN, and the node when it is one of
// ours (nil otherwise: an unknown id, or a kind of target sesame has not).
type sessionTarget struct {
	arn  string
	node *store.Node
}

// tags returns the target's tags (none for an unknown target).
func (t *sessionTarget) tags() []store.Tag {
	if t.node == nil {
		return nil
	}
	return t.node.Tags
}

// checkTarget validates a Target member: 1 to 400 characters naming an
// instance, a managed instance, an ECS task or an ARN.
func checkTarget(v *violations, path string, t *string) {
	if !v.required(path, t != nil) {
		return
	}
	v.str(path, t, 1, 400, nil)
	if *t != "" && len(*t) <= 400 {
		if _, err := iam.TargetARN("aws", "r", "000000000000", *t); err != nil {
			v.add(t, path, "Member must be an instance id (i-...), a managed instance id (mi-...), an ECS target (ecs:CLUSTER_TASK_CONTAINER) or an ARN")
		}
	}
}

// findTarget resolves a validated target to its ARN and node.
func (s *Server) findTarget(ctx context.Context, t string) (*sessionTarget, error) {
	arn, err := iam.TargetARN(s.cfg.Partition, s.cfg.Region, s.cfg.Account, t)
	if err != nil {
		return nil, err
	}
	id := t
	if strings.HasPrefix(t, "arn:") {
		id = s.nodeIDOfARN(t)
	}
	if id == "" || !(strings.HasPrefix(id, "i-") || strings.HasPrefix(id, "mi-")) {
		return &sessionTarget{arn: arn}, nil
	}
	n, err := s.cachedNode(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &sessionTarget{arn: arn}, nil
	}
	if err != nil {
		return nil, err
	}
	return &sessionTarget{arn: s.nodeARN(id), node: &n}, nil
}

// nodeIDOfARN returns the node id an instance or managed-instance ARN of
// this server's account and region names, or "".
func (s *Server) nodeIDOfARN(arn string) string {
	a, err := iam.ParseARN(arn)
	if err != nil || a.Partition != s.cfg.Partition || a.Region != s.cfg.Region || a.Account != s.cfg.Account {
		return ""
	}
	switch kind, id, _ := strings.Cut(a.Resource, "/"); {
	case a.Service == "ec2" && kind == "instance", a.Service == "ssm" && kind == "managed-instance":
		return id
	}
	return ""
}

type getConnectionStatusInput struct {
	Target *string `json:"Target"`
}

type getConnectionStatusOutput struct {
	Target string `json:"Target"`
	Status string `json:"Status"`
}

// getConnectionStatus is GetConnectionStatus: connected when the target
// is a node that is Online now.
func (s *Server) getConnectionStatus(ctx context.Context, c *call) (any, error) {
	var in getConnectionStatusInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	checkTarget(&v, "target", in.Target)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.findTarget(ctx, *in.Target)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(ssmResource(t.arn, t.tags(), nil)); err != nil {
		return nil, err
	}
	status := "notconnected"
	if t.node != nil && s.nodePingStatus(t.node, s.cfg.Clock()) == store.PingOnline {
		status = "connected"
	}
	return &getConnectionStatusOutput{Target: *in.Target, Status: status}, nil
}
