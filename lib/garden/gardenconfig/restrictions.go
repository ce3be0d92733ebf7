package gardenconfig

import (
	"strconv"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
)

// AccessRestriction is one entry of a garden's accessRestrictions (gardenctl-v2 pkg/ac): a
// message shown when a shoot with the restriction Key is used, and extra messages for options.
type AccessRestriction struct {
	Key     string                    `yaml:"key,omitempty" json:"key,omitempty"`
	Msg     string                    `yaml:"msg,omitempty" json:"msg,omitempty"`
	Options []AccessRestrictionOption `yaml:"options,omitempty" json:"options,omitempty"`
}

// AccessRestrictionOption adds Msg when the shoot's option Key parses as the bool NotifyIf.
type AccessRestrictionOption struct {
	Key      string `yaml:"key,omitempty" json:"key,omitempty"`
	NotifyIf bool   `yaml:"notifyIf,omitempty" json:"notifyIf,omitempty"`
	Msg      string `yaml:"msg,omitempty" json:"msg,omitempty"`
}

// RestrictionMessage is what to show for one restriction the shoot has.
type RestrictionMessage struct {
	Header string   `json:"header"`
	Items  []string `json:"items,omitempty"`
}

// legacyKey maps the old seed.gardener.cloud/eu-access key to the shoot's restriction name, as
// gardenctl-v2 ac.mapLegacyKey does.
func legacyKey(key string) string {
	if key == "seed.gardener.cloud/eu-access" {
		return "eu-access-only"
	}
	return key
}

// Restrictions returns the messages for the shoot's spec.accessRestrictions, following
// gardenctl-v2 ac.CheckAccessRestrictions: a configured restriction matches a shoot restriction
// of the same name; an option adds its message when the shoot's option value parses as a bool
// equal to notifyIf (values that do not parse are skipped).
func Restrictions(configured []AccessRestriction, shoot *gardencorev1beta1.Shoot) []RestrictionMessage {
	var out []RestrictionMessage
	for _, ar := range configured {
		var match *gardencorev1beta1.AccessRestrictionWithOptions
		for i := range shoot.Spec.AccessRestrictions {
			if shoot.Spec.AccessRestrictions[i].Name == legacyKey(ar.Key) {
				match = &shoot.Spec.AccessRestrictions[i]
				break
			}
		}
		if match == nil {
			continue
		}
		m := RestrictionMessage{Header: ar.Msg}
		for _, o := range ar.Options {
			raw, ok := match.Options[o.Key]
			if v, err := strconv.ParseBool(raw); ok && err == nil && v == o.NotifyIf {
				m.Items = append(m.Items, o.Msg)
			}
		}
		out = append(out, m)
	}
	return out
}
