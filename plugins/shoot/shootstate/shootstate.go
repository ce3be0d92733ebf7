// Package shootstate turns a Shoot's status into what people and scripts ask about: the
// columns of "kubectl get shoots", the conditions, and whether a wait is over.
package shootstate

import (
	"fmt"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// APIVersion of the JSON/YAML output of kubectl-shoot.
const APIVersion = "shoot.osc-coco.io/v1alpha1"

// ConditionTypes are the shoot conditions shown by -o wide, in kubectl get shoots' order.
var ConditionTypes = []gardencorev1beta1.ConditionType{
	gardencorev1beta1.ShootAPIServerAvailable,
	gardencorev1beta1.ShootControlPlaneHealthy,
	gardencorev1beta1.ShootObservabilityComponentsHealthy,
	gardencorev1beta1.ShootEveryNodeReady,
	gardencorev1beta1.ShootSystemComponentsHealthy,
}

// LastOperation is status.lastOperation.
type LastOperation struct {
	Type        string `json:"type"`
	State       string `json:"state"`
	Progress    int32  `json:"progress"`
	Description string `json:"description,omitempty"`
	Updated     string `json:"lastUpdateTime,omitempty"`
}

// Condition is one shoot condition.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Summary is one shoot as the list, status and wait commands print it (stable schema).
type Summary struct {
	Project           string         `json:"project"`
	Namespace         string         `json:"namespace"`
	Name              string         `json:"name"`
	CloudProfile      string         `json:"cloudProfile"`
	Provider          string         `json:"provider"`
	Region            string         `json:"region"`
	Seed              string         `json:"seed,omitempty"`
	KubernetesVersion string         `json:"kubernetesVersion"`
	Hibernation       string         `json:"hibernation"`
	LastOperation     *LastOperation `json:"lastOperation,omitempty"`
	Status            string         `json:"status"`
	Purpose           string         `json:"purpose,omitempty"`
	Conditions        []Condition    `json:"conditions"`
	LastErrors        []string       `json:"lastErrors,omitempty"`
	Deleting          bool           `json:"deleting"`
	Created           time.Time      `json:"creationTimestamp"`
}

// Summarize reads a shoot. project is the project name (the namespace is "garden-<project>" by
// convention, but the Project object is what says so).
func Summarize(s *gardencorev1beta1.Shoot, project string) Summary {
	out := Summary{Project: project, Namespace: s.Namespace, Name: s.Name, Provider: s.Spec.Provider.Type, Region: s.Spec.Region,
		KubernetesVersion: s.Spec.Kubernetes.Version, Hibernation: Hibernation(s), Status: s.Labels["shoot.gardener.cloud/status"],
		Deleting: s.DeletionTimestamp != nil, Created: s.CreationTimestamp.UTC(), Conditions: []Condition{}}
	switch {
	case s.Spec.CloudProfile != nil && s.Spec.CloudProfile.Kind == "NamespacedCloudProfile":
		out.CloudProfile = s.Namespace + "/" + s.Spec.CloudProfile.Name
	case s.Spec.CloudProfile != nil:
		out.CloudProfile = s.Spec.CloudProfile.Name
	case s.Spec.CloudProfileName != nil:
		out.CloudProfile = *s.Spec.CloudProfileName
	}
	if s.Spec.SeedName != nil {
		out.Seed = *s.Spec.SeedName
	}
	if s.Spec.Purpose != nil {
		out.Purpose = string(*s.Spec.Purpose)
	}
	if lo := s.Status.LastOperation; lo != nil {
		out.LastOperation = &LastOperation{Type: string(lo.Type), State: string(lo.State), Progress: lo.Progress, Description: lo.Description,
			Updated: lo.LastUpdateTime.UTC().Format(time.RFC3339)}
	}
	for _, t := range ConditionTypes {
		for _, c := range s.Status.Conditions {
			if c.Type == t {
				out.Conditions = append(out.Conditions, Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
			}
		}
	}
	for _, e := range s.Status.LastErrors {
		out.LastErrors = append(out.LastErrors, e.Description)
	}
	return out
}

// Hibernation is the Hibernation column: Awake, Hibernating, Hibernated or Waking Up.
func Hibernation(s *gardencorev1beta1.Shoot) string {
	spec := s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled
	switch st := s.Status.IsHibernated; {
	case spec && st:
		return "Hibernated"
	case spec:
		return "Hibernating"
	case st:
		return "Waking Up"
	}
	return "Awake"
}

// LastOperationColumn is "Reconcile Succeeded (100%)", or <pending>.
func (s Summary) LastOperationColumn() string {
	if s.LastOperation == nil {
		return "<pending>"
	}
	return fmt.Sprintf("%s %s (%d%%)", s.LastOperation.Type, s.LastOperation.State, s.LastOperation.Progress)
}

// StatusColumn is the shoot.gardener.cloud/status label, or <pending>.
func (s Summary) StatusColumn() string {
	if s.Status == "" {
		return "<pending>"
	}
	return s.Status
}

// ConditionColumn is a condition's status, or <unknown>.
func (s Summary) ConditionColumn(t gardencorev1beta1.ConditionType) string {
	for _, c := range s.Conditions {
		if c.Type == string(t) {
			return c.Status
		}
	}
	return "<unknown>"
}

// Age is kubectl's age format.
func Age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// Outcome of a wait.
type Outcome int

const (
	Waiting Outcome = iota
	Done
	Failed
)

// Reconciled says whether a create or reconcile has finished: the last operation of the current
// generation succeeded at 100%. A Failed state ends the wait (Gardener stops retrying);
// Error states are retried by Gardener, so the wait goes on and shows them.
func Reconciled(s *gardencorev1beta1.Shoot) (Outcome, string) {
	lo := s.Status.LastOperation
	switch {
	case s.DeletionTimestamp != nil:
		return Failed, "the shoot is being deleted"
	case lo == nil:
		return Waiting, "waiting for Gardener to pick up the shoot"
	case lo.State == gardencorev1beta1.LastOperationStateFailed:
		return Failed, fmt.Sprintf("%s failed: %s", lo.Type, lo.Description)
	case s.Status.ObservedGeneration < s.Generation:
		return Waiting, "waiting for Gardener to observe the latest change"
	case lo.Type == gardencorev1beta1.LastOperationTypeDelete:
		return Failed, "the shoot is being deleted"
	case lo.State == gardencorev1beta1.LastOperationStateSucceeded && lo.Progress == 100:
		return Done, fmt.Sprintf("%s succeeded", lo.Type)
	}
	return Waiting, fmt.Sprintf("%s %s (%d%%): %s", lo.Type, lo.State, lo.Progress, lo.Description)
}

// Deleting says how a deletion goes; the wait ends when the shoot is gone (not visible here).
func Deleting(s *gardencorev1beta1.Shoot) (Outcome, string) {
	lo := s.Status.LastOperation
	switch {
	case s.DeletionTimestamp == nil:
		return Waiting, "the shoot is not marked for deletion"
	case lo != nil && lo.Type == gardencorev1beta1.LastOperationTypeDelete && lo.State == gardencorev1beta1.LastOperationStateFailed:
		return Failed, "Delete failed: " + lo.Description
	case lo != nil && lo.Type == gardencorev1beta1.LastOperationTypeDelete:
		return Waiting, fmt.Sprintf("Delete %s (%d%%): %s", lo.State, lo.Progress, lo.Description)
	}
	return Waiting, "waiting for Gardener to start the deletion"
}

// Progress is the last operation's progress in percent (0 before any).
func Progress(s *gardencorev1beta1.Shoot) int {
	if s.Status.LastOperation == nil {
		return 0
	}
	return int(s.Status.LastOperation.Progress)
}
