{{- /*
Test fixture helpers, written for kubectl-coco's tests. They model the rules of kata-deploy's
templates/_helpers.tpl (tags 3.26.0-4.1.0), "kata-deploy.getEnabledShimsForArch" and
"kata-deploy.getDefaultShimForArch":
- a shim is on when shims.<shim>.enabled is true; off when false; when null (~) it is on unless
  shims.disableAll is true;
- SHIMS_<ARCH> lists the shims that are on and list the arch in supportedArches (space-separated,
  in key order), and is left out when empty;
- DEFAULT_SHIM_<ARCH> is defaultShim.<arch>, and is left out unless that shim is in SHIMS_<ARCH>.
*/ -}}
{{- define "fixture.shimOn" -}}
{{- $c := .config -}}
{{- if eq (toString $c.enabled) "true" -}}on
{{- else if eq (toString $c.enabled) "false" -}}
{{- else if not .disableAll -}}on
{{- end -}}
{{- end -}}

{{- define "fixture.shimsFor" -}}
{{- $out := list -}}
{{- $disableAll := .root.Values.shims.disableAll | default false -}}
{{- range $name, $c := .root.Values.shims -}}
{{- if and (ne $name "disableAll") (kindIs "map" $c) -}}
{{- if and (include "fixture.shimOn" (dict "config" $c "disableAll" $disableAll)) (has $.arch $c.supportedArches) -}}
{{- $out = append $out $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- join " " $out -}}
{{- end -}}

{{- define "fixture.name" -}}
{{- if .Values.env.multiInstallSuffix -}}{{ .Chart.Name }}-{{ .Values.env.multiInstallSuffix }}{{- else -}}{{ .Chart.Name }}{{- end -}}
{{- end -}}
