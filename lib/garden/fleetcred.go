package garden

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/garden/credcache"
)

// credential is a shoot's REST config for one fleet read and where it came from.
type credential struct {
	cfg    *rest.Config
	access string
	cached bool
	key    credcache.Key
}

// fleetCredential is the shoot's config from the credential cache when a valid one is there
// (admin before viewer), else one the Gardener API issues (admin, or viewer when the user
// may not have admin kubeconfigs), which is then cached.
func (c *Conn) fleetCredential(ctx context.Context, namespace string, s *gardencorev1beta1.Shoot) (*credential, error) {
	if c.cacheUsable(ctx) {
		for _, access := range []string{Admin, Viewer} {
			key := c.cacheKey(namespace, s, access)
			kc, ok, err := c.Cache.Get(key)
			if err != nil {
				c.cacheTrouble(err)
				break
			}
			if ok {
				if cfg, err := clientcmd.RESTConfigFromKubeConfig(kc); err == nil {
					return &credential{cfg: cfg, access: access, cached: true, key: key}, nil
				}
			}
		}
	}
	return c.issueCredential(ctx, namespace, s)
}

// issueCredential asks the Gardener API for a kubeconfig and caches it.
func (c *Conn) issueCredential(ctx context.Context, namespace string, s *gardencorev1beta1.Shoot) (*credential, error) {
	issued, err := c.IssueKubeconfig(ctx, namespace, s.Name, Admin, FleetExpiration)
	if apierrors.IsForbidden(err) {
		issued, err = c.IssueKubeconfig(ctx, namespace, s.Name, Viewer, FleetExpiration)
	}
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(issued.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cred := &credential{cfg: cfg, access: issued.Access}
	if c.cacheUsable(ctx) {
		cred.key = c.cacheKey(namespace, s, issued.Access)
		if err := c.Cache.Put(cred.key, issued.Kubeconfig, issued.Expires); err != nil {
			c.cacheTrouble(err)
		}
	}
	return cred, nil
}

// stale says whether a read with a cached credential failed because the credential no longer
// fits the shoot: the shoot refuses it (401: revoked, client CA rotated) or it does not trust
// the shoot's serving certificate (the shoot's CA rotated).
func stale(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	return apierrors.IsUnauthorized(err) || errors.As(err, &unknownCA) || errors.As(err, &invalid) || errors.As(err, &hostname)
}

// refused drops a cached credential that no longer fits its shoot, and says so.
func (c *Conn) refused(s string, cred *credential, err error) {
	c.note(fmt.Sprintf("the cached %s kubeconfig of shoot %s no longer works (%v): it is dropped from the cache and a new one is issued", cred.access, s, err))
	if err := c.Cache.Delete(cred.key); err != nil {
		c.cacheTrouble(err)
	}
}

// cacheKey is gardenlogin's key, the shoot's server, name and namespace, the garden's identity
// (its server when no garden config names it) and the access level, plus the shoot's UID and
// who the garden says the user is.
func (c *Conn) cacheKey(namespace string, s *gardencorev1beta1.Shoot, access string) credcache.Key {
	garden := c.Identity
	if garden == "" && c.Config != nil {
		garden = "server " + c.Config.Host
	}
	return credcache.Key{ShootServer: shootServer(s), ShootName: s.Name, ShootNamespace: namespace, ShootUID: string(s.UID),
		GardenClusterIdentity: garden, AccessLevel: access, GardenUser: c.who}
}

// cacheUsable says whether credentials may be cached: a cache, and the garden has said who the
// user is (asked once per run; without an answer nothing is cached, as a key without the
// user could hand one user's credential to another).
func (c *Conn) cacheUsable(ctx context.Context) bool {
	if c.Cache == nil {
		return false
	}
	c.whoOnce.Do(func() {
		r, err := c.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			c.note(fmt.Sprintf("shoot kubeconfigs are not cached: the garden does not say who you are (SelfSubjectReview: %v)", err))
			return
		}
		c.who = credcache.GardenUser(r.Status.UserInfo)
	})
	return c.who != ""
}

// StartCache asks the garden who the user is while the project and shoots are read.
func (c *Conn) StartCache(ctx context.Context) {
	if c.Cache != nil {
		go c.cacheUsable(ctx)
	}
}

// shootServer is the shoot's external API server address, the first advertised one else.
func shootServer(s *gardencorev1beta1.Shoot) string {
	for _, a := range s.Status.AdvertisedAddresses {
		if a.Name == "external" {
			return a.URL
		}
	}
	if len(s.Status.AdvertisedAddresses) > 0 {
		return s.Status.AdvertisedAddresses[0].URL
	}
	return ""
}

// cacheTrouble says once that the cache cannot be used; the read goes on without it.
func (c *Conn) cacheTrouble(err error) {
	c.cacheOnce.Do(func() {
		c.note(fmt.Sprintf("the shoot credential cache %s cannot be used (%v): credentials are issued anew (--no-cache skips it)", c.Cache.Dir, err))
	})
}

func (c *Conn) note(s string) {
	if c.Note != nil {
		c.Note(s)
	}
}

// cacheState is the part of Conn the credential cache needs.
type cacheState struct {
	// Cache keeps the shoot credentials of fleet reads between runs; nil with --no-cache.
	Cache *credcache.Store
	// Note prints a note for the user (stderr).
	Note      func(string)
	cacheOnce sync.Once
	whoOnce   sync.Once
	who       string // GardenUser of the user, once known
}
