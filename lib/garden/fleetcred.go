package garden

import (
	"context"
	"fmt"
	"sync"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	if c.Cache != nil {
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
	key := c.cacheKey(namespace, s, issued.Access)
	if c.Cache != nil {
		if err := c.Cache.Put(key, issued.Kubeconfig, issued.Expires); err != nil {
			c.cacheTrouble(err)
		}
	}
	return &credential{cfg: cfg, access: issued.Access, key: key}, nil
}

// refused drops a cached credential the shoot refused and says so.
func (c *Conn) refused(s string, cred *credential, err error) {
	c.note(fmt.Sprintf("shoot %s refused the cached %s credential (%v): it is dropped from the cache and a new one is issued", s, cred.access, err))
	if err := c.Cache.Delete(cred.key); err != nil {
		c.cacheTrouble(err)
	}
}

// cacheKey is gardenlogin's key, the shoot's server, name and namespace, the garden's identity
// (its server when no garden config names it) and the access level, plus the garden user.
func (c *Conn) cacheKey(namespace string, s *gardencorev1beta1.Shoot, access string) credcache.Key {
	garden, user := c.Identity, ""
	if c.Config != nil {
		if garden == "" {
			garden = "server " + c.Config.Host
		}
		user = credcache.GardenUser(c.Config)
	}
	return credcache.Key{ShootServer: shootServer(s), ShootName: s.Name, ShootNamespace: namespace, GardenClusterIdentity: garden, AccessLevel: access, GardenUser: user}
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
}
