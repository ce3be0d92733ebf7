//go:build tools

package main

// kubectl is built from upstream's own main beside the control plane (see main.go).
import _ "k8s.io/kubernetes/cmd/kubectl"
