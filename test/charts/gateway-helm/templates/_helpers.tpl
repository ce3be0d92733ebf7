{{- /*
Models envoyproxy/gateway v1.9.0 charts/gateway-helm/templates/_helpers.tpl: the namespace, names
and labels helpers (eg.labels: helm.sh/chart, app.kubernetes.io/name gateway-helm, instance the
release name, version the appVersion, managed-by), the control plane's image (deployment image, else
global.images.envoyGateway.image, global.imageRegistry first) and the default EnvoyGateway
configuration (rate limit image and pull policy, shutdown manager image). The envoyProxy image override and pull
secrets of the rate limit are left out.
*/ -}}
{{- define "eg.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "eg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eg.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "eg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eg.labels" -}}
helm.sh/chart: {{ include "eg.chart" . }}
{{ include "eg.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "eg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eg.image" -}}
{{- if .Values.deployment.envoyGateway.image.repository -}}
{{-   if .Values.global.imageRegistry -}}
{{-     $repositoryParts := splitn "/" 2 .Values.deployment.envoyGateway.image.repository -}}
{{-     $registryName := .Values.global.imageRegistry -}}
{{-     $repositoryName := $repositoryParts._1 -}}
{{-     $imageTag := default .Chart.AppVersion .Values.deployment.envoyGateway.image.tag -}}
{{-     printf "%s/%s:%s" $registryName $repositoryName $imageTag -}}
{{-   else -}}
{{-     $imageTag := default .Chart.AppVersion .Values.deployment.envoyGateway.image.tag -}}
{{-     printf "%s:%s" .Values.deployment.envoyGateway.image.repository $imageTag -}}
{{-   end -}}
{{- else if .Values.global.images.envoyGateway.image -}}
{{-   $imageParts := splitn "/" 2 .Values.global.images.envoyGateway.image -}}
{{-   $registryName := default $imageParts._0 .Values.global.imageRegistry -}}
{{-   $repositoryTag := $imageParts._1 -}}
{{-   $repositoryParts := splitn ":" 2 $repositoryTag -}}
{{-   $repositoryName := $repositoryParts._0 -}}
{{-   $imageTag := $repositoryParts._1 -}}
{{-   printf "%s/%s:%s" $registryName $repositoryName $imageTag -}}
{{- else -}}
docker.io/envoyproxy/gateway:{{ .Chart.Version }}
{{- end -}}
{{- end -}}

{{- define "eg.image.pullPolicy" -}}
{{- default .Values.deployment.envoyGateway.imagePullPolicy .Values.global.images.envoyGateway.pullPolicy -}}
{{- end }}

{{- define "eg.image.pullSecrets" -}}
{{- if .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{ toYaml .Values.global.imagePullSecrets }}
{{- else if .Values.deployment.envoyGateway.imagePullSecrets -}}
imagePullSecrets:
{{ toYaml .Values.deployment.envoyGateway.imagePullSecrets }}
{{- else if .Values.global.images.envoyGateway.pullSecrets -}}
imagePullSecrets:
{{ toYaml .Values.global.images.envoyGateway.pullSecrets }}
{{- else -}}
imagePullSecrets: {{ toYaml list }}
{{- end }}
{{- end }}

{{- define "eg.ratelimit.image" -}}
{{-   $imageParts := splitn "/" 2 .Values.global.images.ratelimit.image -}}
{{-   $registryName := default $imageParts._0 .Values.global.imageRegistry -}}
{{-   $repositoryTag := $imageParts._1 -}}
{{-   $repositoryParts := splitn ":" 2 $repositoryTag -}}
{{-   $repositoryName := $repositoryParts._0 -}}
{{-   $imageTag := default "17b1956c" $repositoryParts._1 -}}
{{-   printf "%s/%s:%s" $registryName $repositoryName $imageTag -}}
{{- end -}}

{{- define "eg.default-envoy-gateway-config" -}}
provider:
  type: Kubernetes
  kubernetes:
    rateLimitDeployment:
      container:
        image: {{ include "eg.ratelimit.image" . }}
      {{- with .Values.global.images.ratelimit.pullPolicy }}
      patch:
        type: StrategicMerge
        value:
          spec:
            template:
              spec:
                containers:
                - name: envoy-ratelimit
                  imagePullPolicy: {{ . }}
      {{- end }}
    shutdownManager:
      image: {{ include "eg.image" . }}
{{- with .Values.config.envoyGateway.extensionApis }}
extensionApis:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if not .Values.topologyInjector.enabled }}
proxyTopologyInjector:
  disabled: true
{{- end }}
{{- end }}
