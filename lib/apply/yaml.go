package apply

import "sigs.k8s.io/yaml"

func marshalYAML(v any) ([]byte, error) { return yaml.Marshal(v) }
