package gardencmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	seedmanagement "github.com/gardener/gardener/pkg/client/seedmanagement/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootkubeconfig"
)

// gardenNamespace is the only namespace ManagedSeeds (and so their shoots) live in.
const gardenNamespace = "garden"

// shootKubeconfig is a shoot's gardenlogin kubeconfig and what it was built from.
type shootKubeconfig struct {
	Data        []byte
	Shoot       *gardencorev1beta1.Shoot
	AccessLevel string // "" when gardenlogin's default applies
}

// buildGardenloginKubeconfig builds the kubeconfig of shoot s; flagLevel is --access-level
// when given (nil otherwise).
func buildGardenloginKubeconfig(ctx context.Context, gd *garden.Conn, p garden.Project, s *gardencorev1beta1.Shoot, flagLevel *string) (*shootKubeconfig, error) {
	name := s.Name
	if err := checkAddresses(s); err != nil {
		return nil, err
	}
	ca, err := clusterCA(ctx, gd, p, name)
	if err != nil {
		return nil, err
	}
	identity, err := gd.ClusterIdentity(ctx)
	if err != nil {
		return nil, err
	}
	if err := gardenconfig.ValidateName(identity); err != nil { // gardenlogin's ValidateGardenClusterIdentity would refuse it
		return nil, clierr.Usagef("rename the garden: kubectl shoot config delete-garden, then set-garden with "+gardenconfig.NameRule,
			"garden identity %q %v, so gardenlogin would refuse the kubeconfig", identity, err)
	}
	level, err := accessLevel(ctx, gd, s, flagLevel)
	if err != nil {
		return nil, err
	}
	cfg, err := shootkubeconfig.Build(shootkubeconfig.Request{Shoot: s, CA: ca, GardenIdentity: identity, AccessLevel: level})
	if err != nil {
		return nil, clierr.Wrap(err, "building the kubeconfig of shoot %s", name)
	}
	data, err := clientcmd.Write(*cfg)
	return &shootKubeconfig{Data: data, Shoot: s, AccessLevel: level}, err
}

// checkAddresses refuses a shoot without a kube-apiserver address, naming what it does advertise.
func checkAddresses(s *gardencorev1beta1.Shoot) error {
	if len(shootkubeconfig.Addresses(s)) > 0 {
		return nil
	}
	if len(s.Status.AdvertisedAddresses) == 0 {
		return clierr.Failf("wait until the shoot is created: kubectl shoot wait "+s.Name,
			"shoot %s has no API server address yet (last operation: %s)", s.Name, lastOp(s))
	}
	var names []string
	for _, a := range s.Status.AdvertisedAddresses {
		names = append(names, a.Name)
	}
	return clierr.Failf("wait for the shoot's reconciliation (kubectl shoot wait "+s.Name+"); if it stays so, ask your landscape admin",
		"shoot %s advertises no kube-apiserver address (%s), only %s", s.Name, strings.Join(shootkubeconfig.APIServerAddresses, ", "), strings.Join(names, ", "))
}

// accessLevel resolves the level as gardenctl does; a shoot in the garden namespace may back a
// managed seed, whose level is the garden's seeds default.
func accessLevel(ctx context.Context, gd *garden.Conn, s *gardencorev1beta1.Shoot, flagLevel *string) (string, error) {
	if flagLevel != nil && *flagLevel != "" {
		return *flagLevel, nil
	}
	if gd.Garden == nil || gd.Garden.AccessLevelDefaults == nil {
		return "", nil
	}
	seed, err := backsManagedSeed(ctx, gd.SeedManagement, s)
	if err != nil {
		return "", err
	}
	return gardenconfig.AccessLevelFor(flagLevel, gd.Garden, seed), nil
}

// backsManagedSeed follows gardenctl-v2's IsManagedSeed: ManagedSeeds in namespace garden whose
// spec.shoot.name is the shoot.
func backsManagedSeed(ctx context.Context, cs seedmanagement.Interface, s *gardencorev1beta1.Shoot) (bool, error) {
	if s.Namespace != gardenNamespace {
		return false, nil
	}
	list, err := cs.SeedmanagementV1alpha1().ManagedSeeds(gardenNamespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.shoot.name", s.Name).String()})
	if err != nil {
		return false, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "managedseeds.seedmanagement.gardener.cloud", Namespace: gardenNamespace}),
			"telling whether shoot %s backs a managed seed (its default access level is the garden's seeds one; pass --access-level to skip this)", s.Name)
	}
	for _, m := range list.Items {
		if m.Spec.Shoot != nil && m.Spec.Shoot.Name == s.Name {
			return true, nil
		}
	}
	return false, nil
}

// restrictions returns the garden's access-restriction messages for the shoot.
func restrictions(gd *garden.Conn, s *gardencorev1beta1.Shoot) []gardenconfig.RestrictionMessage {
	if gd.Garden == nil {
		return nil
	}
	return gardenconfig.Restrictions(gd.Garden.AccessRestrictions, s)
}

// printRestrictions shows the messages, as gardenctl shows them when it targets the shoot.
func printRestrictions(w io.Writer, shoot string, msgs []gardenconfig.RestrictionMessage) {
	title := "Access restriction"
	if len(msgs) > 1 {
		title += "s"
	}
	fmt.Fprintf(w, "%s of shoot %s:\n", title, shoot)
	for _, m := range msgs {
		fmt.Fprintf(w, "  %s\n", m.Header)
		for _, item := range m.Items {
			fmt.Fprintf(w, "    * %s\n", item)
		}
	}
}
