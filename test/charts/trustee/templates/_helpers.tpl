{{/* Models templates/_helpers.tpl of trustee v0.21.0: the same names and labels. */}}
{{- define "trustee.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "trustee.fullname" -}}
{{- if .Values.fullnameOverride }}{{ .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}
{{- end }}
{{- define "trustee.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trustee.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "trustee.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "trustee.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
{{- define "trustee.kbs" -}}{{ printf "%s-kbs" (include "trustee.fullname" .) }}{{- end }}
{{- define "trustee.as" -}}{{ printf "%s-as" (include "trustee.fullname" .) }}{{- end }}
{{- define "trustee.rvps" -}}{{ printf "%s-rvps" (include "trustee.fullname" .) }}{{- end }}
{{- define "trustee.userKeysSecret" -}}
{{- if .Values.secrets.useEphemeralGeneratedKeys }}{{ printf "%s-user-keys" (include "trustee.fullname" .) }}
{{- else }}{{ trim (default "" .Values.secrets.existingSecretName) }}{{ end }}
{{- end }}
{{/* userKeysSecretVolumeItems: the Secret's data keys and the files they become. */}}
{{- define "trustee.userKeysItems" -}}
items:
  - {key: KBS_ADMIN_PRIVATE_KEY, path: private.key}
  - {key: KBS_ADMIN_PUBKEY, path: public.pub}
  - {key: AS_TOKEN_SIGNING_PRIVATE_KEY, path: token.key}
  - {key: AS_TOKEN_VERIFICATION_PUBLIC_KEY_CERT_CHAIN, path: token-cert-chain.pem}
{{- end }}
