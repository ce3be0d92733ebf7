package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// RotationKinds are what rotate-credentials --kind takes.
var RotationKinds = []string{"all", "ca", "service-account-key", "etcd-encryption-key", "ssh-keypair", "observability"}

// rotationOps are the operation annotations per kind: start, complete ("" when the kind has
// one step). From v1beta1constants at v1.150.0.
var rotationOps = map[string][2]string{
	"all":                 {v1beta1constants.OperationRotateCredentialsStart, v1beta1constants.OperationRotateCredentialsComplete},
	"ca":                  {v1beta1constants.OperationRotateCAStart, v1beta1constants.OperationRotateCAComplete},
	"service-account-key": {v1beta1constants.OperationRotateServiceAccountKeyStart, v1beta1constants.OperationRotateServiceAccountKeyComplete},
	"etcd-encryption-key": {v1beta1constants.OperationRotateETCDEncryptionKeyStart, v1beta1constants.OperationRotateETCDEncryptionKeyComplete},
	"ssh-keypair":         {v1beta1constants.ShootOperationRotateSSHKeypair, ""},
	"observability":       {v1beta1constants.OperationRotateObservabilityCredentials, ""},
}

// phases reads the rotation phases a kind moves through (all: the CA's and the service
// account key's, which Gardener's validation requires Prepared to complete).
func phases(s *gardencorev1beta1.Shoot, kind string) map[string]gardencorev1beta1.CredentialsRotationPhase {
	out := map[string]gardencorev1beta1.CredentialsRotationPhase{}
	var r *gardencorev1beta1.ShootCredentialsRotation
	if s.Status.Credentials != nil {
		r = s.Status.Credentials.Rotation
	}
	get := func(name string) {
		var p gardencorev1beta1.CredentialsRotationPhase
		switch {
		case r == nil:
		case name == "ca" && r.CertificateAuthorities != nil:
			p = r.CertificateAuthorities.Phase
		case name == "service-account-key" && r.ServiceAccountKey != nil:
			p = r.ServiceAccountKey.Phase
		case name == "etcd-encryption-key" && r.ETCDEncryptionKey != nil:
			p = r.ETCDEncryptionKey.Phase
		}
		out[name] = p
	}
	switch kind {
	case "all":
		get("ca")
		get("service-account-key")
	case "ca", "service-account-key", "etcd-encryption-key":
		get(kind)
	}
	return out
}

// RotationOperation is the annotation for kind and step.
func RotationOperation(kind string, complete bool) (string, error) {
	ops, ok := rotationOps[kind]
	if !ok {
		return "", fmt.Errorf("unknown --kind %q: use %s", kind, strings.Join(RotationKinds, ", "))
	}
	if complete {
		if ops[1] == "" {
			return "", fmt.Errorf("rotating %s has no complete step: start does it all", kind)
		}
		return ops[1], nil
	}
	return ops[0], nil
}

// PlanRotation decides the change for a rotation step, refusing what Gardener's validation
// refuses (complete before the kind is Prepared; credentials of a hibernated shoot).
func PlanRotation(s *gardencorev1beta1.Shoot, kind string, complete bool) (Change, error) {
	op, err := RotationOperation(kind, complete)
	if err != nil {
		return Change{}, err
	}
	if s.DeletionTimestamp != nil {
		return Change{}, &Refused{Reason: fmt.Sprintf("shoot %s is being deleted", s.Name), Fix: "kubectl shoot wait " + s.Name + " --for deleted"}
	}
	hibernated := s.Status.IsHibernated || (s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled)
	if hibernated && kind != "ca" && kind != "ssh-keypair" && kind != "observability" {
		return Change{}, &Refused{Reason: fmt.Sprintf("Gardener does not rotate %s credentials of a hibernated shoot", kind), Fix: "kubectl shoot wake-up " + s.Name + " --wait first"}
	}
	if complete {
		for name, p := range phases(s, kind) {
			if p != gardencorev1beta1.RotationPrepared {
				return Change{}, &Refused{Reason: fmt.Sprintf("cannot complete: the %s rotation is %q, not Prepared", name, orNone(string(p))),
					Fix: "kubectl shoot rotate-credentials " + s.Name + " start --kind " + kind + " --wait first"}
			}
		}
	}
	if pending := s.Annotations[v1beta1constants.GardenerOperation]; pending == op {
		return Change{Noop: fmt.Sprintf("%s is already requested; Gardener has not finished it yet", op)}, nil
	} else if pending != "" {
		return Change{}, &Refused{Reason: fmt.Sprintf("shoot %s has operation %q pending", s.Name, pending), Fix: "wait for it: kubectl shoot wait " + s.Name}
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{v1beta1constants.GardenerOperation: op}}})
	return Change{Patch: patch, What: fmt.Sprintf("annotated %s=%s", v1beta1constants.GardenerOperation, op)}, nil
}

func orNone(s string) string {
	if s == "" {
		return "not started"
	}
	return s
}

// RotationDone: the generation is observed, gardenlet took the annotation, the last operation
// succeeded and the phases reached Prepared (start) or Completed (complete).
func RotationDone(s *gardencorev1beta1.Shoot, kind string, complete bool, generation int64) (shootstate.Outcome, string) {
	op, _ := RotationOperation(kind, complete)
	lo := s.Status.LastOperation
	switch {
	case s.Status.ObservedGeneration < generation:
		return shootstate.Waiting, "waiting for Gardener to observe the change"
	case lo != nil && lo.State == gardencorev1beta1.LastOperationStateFailed:
		return shootstate.Failed, fmt.Sprintf("%s failed: %s", lo.Type, lo.Description)
	case strings.Contains(s.Annotations[v1beta1constants.GardenerOperation], op):
		return shootstate.Waiting, "waiting for gardenlet to rotate (" + op + ")"
	case lo == nil || lo.State != gardencorev1beta1.LastOperationStateSucceeded || lo.Progress != 100:
		return shootstate.Reconciled(s)
	}
	want := gardencorev1beta1.RotationPrepared
	if complete {
		want = gardencorev1beta1.RotationCompleted
	}
	for name, p := range phases(s, kind) {
		if p != want {
			return shootstate.Waiting, fmt.Sprintf("the %s rotation is %s, waiting for %s", name, orNone(string(p)), want)
		}
	}
	return shootstate.Done, op + " done"
}
