{{- /*
Models traefik-helm-chart v41.3.0 traefik/templates/_podtemplate.tpl: the pod's labels, service
account, the container (named after traefik.fullname) with its image, ports and the arguments of
the entry points (address, asDefault, http.tls) and of the Kubernetes CRD, Kubernetes Ingress,
Kubernetes Gateway and Kubernetes Ingress NGINX providers, in upstream's order and spelling.
Probes, volumes, security contexts, logs, metrics, tracing, plugins and Traefik Hub are left out.
*/ -}}
{{- define "traefik.podTemplate" }}
    metadata:
      labels:
      {{- include "traefik.labels" . | nindent 8 }}
    spec:
      serviceAccountName: {{ include "traefik.serviceAccountName" . }}
      automountServiceAccountToken: true
      terminationGracePeriodSeconds: 60
      containers:
      - image: {{ template "traefik.image-name" . }}
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        name: {{ template "traefik.fullname" . }}
        ports:
        {{- range $name, $config := .Values.ports }}
         {{- if $config }}
        - name: {{ include "traefik.portname" $name }}
          containerPort: {{ default $config.port $config.containerPort }}
          protocol: {{ default "TCP" $config.protocol }}
         {{- end }}
        {{- end }}
        args:
          {{- range $name, $config := .Values.ports }}
           {{- if $config }}
            {{- $hostIP := default "" $config.hostIP }}
            {{- if contains ":" $hostIP }}
              {{- $hostIP = printf "[%s]" $hostIP }}
            {{- end }}
          - "--entryPoints.{{$name}}.address={{ $hostIP }}:{{ $config.port }}/{{ default "tcp" $config.protocol | lower }}"
            {{- with $config.asDefault }}
          - "--entryPoints.{{$name}}.asDefault={{ . }}"
            {{- end }}
           {{- end }}
          {{- end }}
          - "--ping=true"
          {{- if .Values.providers.kubernetesCRD.enabled }}
          - "--providers.kubernetescrd"
           {{- if ne .Values.providers.kubernetesCRD.allowEmptyServices nil }}
            {{- with .Values.providers.kubernetesCRD.allowEmptyServices | toString }}
          - "--providers.kubernetescrd.allowEmptyServices={{ . }}"
            {{- end }}
           {{- end }}
           {{- if .Values.rbac.namespaced }}
          - "--providers.kubernetescrd.disableClusterScopeResources=true"
           {{- end }}
          {{- end }}
          {{- if .Values.providers.kubernetesIngress.enabled }}
          - "--providers.kubernetesingress"
           {{- if ne .Values.providers.kubernetesIngress.allowEmptyServices nil }}
            {{- with .Values.providers.kubernetesIngress.allowEmptyServices | toString }}
          - "--providers.kubernetesingress.allowEmptyServices={{ . }}"
            {{- end }}
           {{- end }}
           {{- if .Values.providers.kubernetesIngress.publishedService.enabled }}
            {{- if or .Values.service.enabled .Values.providers.kubernetesIngress.publishedService.pathOverride }}
          - "--providers.kubernetesingress.ingressendpoint.publishedservice={{ template "providers.kubernetesIngress.publishedServicePath" . }}"
            {{- end }}
           {{- end }}
           {{- if .Values.providers.kubernetesIngress.ingressClass }}
          - "--providers.kubernetesingress.ingressClass={{ .Values.providers.kubernetesIngress.ingressClass }}"
           {{- end }}
           {{- if .Values.rbac.namespaced }}
          - "--providers.kubernetesingress.disableClusterScopeResources=true"
           {{- end }}
          {{- end }}
          {{- with .Values.providers.kubernetesCRD }}
          {{- if (and .enabled (or .namespaces (and $.Values.rbac.enabled $.Values.rbac.namespaced))) }}
          - "--providers.kubernetescrd.namespaces={{ template "providers.kubernetesCRD.namespaces" $ }}"
          {{- end }}
          {{- end }}
          {{- with .Values.providers.kubernetesGateway }}
           {{- if .enabled }}
          - "--providers.kubernetesgateway"
            {{- with .statusAddress }}
             {{- with .ip }}
          - "--providers.kubernetesgateway.statusaddress.ip={{ . }}"
             {{- end }}
             {{- with .hostname }}
          - "--providers.kubernetesgateway.statusaddress.hostname={{ . }}"
             {{- end }}
             {{- if (and .service.enabled $.Values.service.enabled) }}
          - "--providers.kubernetesgateway.statusaddress.service.name={{ .service.name | default (include "traefik.fullname" $) }}"
          - "--providers.kubernetesgateway.statusaddress.service.namespace={{ .service.namespace | default (include "traefik.namespace" $) }}"
             {{- end }}
            {{- end }}
            {{- if or .namespaces (and $.Values.rbac.enabled $.Values.rbac.namespaced) }}
          - "--providers.kubernetesgateway.namespaces={{ template "providers.kubernetesGateway.namespaces" $ }}"
            {{- end }}
            {{- if .experimentalChannel }}
          - "--providers.kubernetesgateway.experimentalchannel=true"
            {{- end }}
            {{- with .labelSelector }}
          - "--providers.kubernetesgateway.labelSelector={{ . }}"
            {{- end }}
           {{- end }}
          {{- end }}
          {{- with .Values.providers.kubernetesIngress }}
          {{- if (and .enabled (or .namespaces (and $.Values.rbac.enabled $.Values.rbac.namespaced))) }}
          - "--providers.kubernetesingress.namespaces={{ template "providers.kubernetesIngress.namespaces" $ }}"
          {{- end }}
          {{- end }}
          {{- with .Values.providers.kubernetesIngressNGINX }}
           {{- if .enabled }}
          - "--providers.kubernetesingressnginx"
            {{- if or .watchNamespace (and $.Values.rbac.enabled $.Values.rbac.namespaced) }}
          - "--providers.kubernetesingressnginx.watchnamespace={{ template "providers.kubernetesIngressNGINX.namespaces" $ }}"
            {{- end }}
            {{- if .publishService.enabled }}
             {{- if or $.Values.service.enabled .publishService.pathOverride }}
          - "--providers.kubernetesingressnginx.publishservice={{ template "providers.kubernetesIngressNGINX.publishServicePath" $ }}"
             {{- end }}
            {{- end }}
            {{- if (.modsec).enabled }}
          - "--providers.kubernetesingressnginx.modsec=true"
              {{- include "traefik.yaml2CommandLineArgs" (dict "path" "providers.kubernetesingressnginx.modsec" "content" (omit .modsec "enabled")) | nindent 10 }}
            {{- end }}
            {{- include "traefik.yaml2CommandLineArgs" (dict "path" "providers.kubernetesingressnginx" "content" (omit . "enabled" "publishService" "watchNamespace" "modsec")) | nindent 10 }}
           {{- end }}
          {{- end }}
          {{- range $name, $config := $.Values.ports }}
          {{- if $config }}
            {{- with $config.http }}
              {{- if (.tls).enabled }}
          - "--entryPoints.{{ $name }}.http.tls=true"
              {{- end }}
            {{- end }}
          {{- end }}
          {{- end }}
{{- end }}
