{{- /* Models the names of ingress-nginx 4.15.1 templates/_helpers.tpl. */ -}}
{{- define "fixture.controller.fullname" -}}{{ .Release.Name }}-{{ .Values.controller.name }}{{- end -}}
{{- define "fixture.admission.fullname" -}}{{ .Release.Name }}-{{ .Values.controller.admissionWebhooks.name }}{{- end -}}
{{- define "fixture.labels" -}}
app.kubernetes.io/name: ingress-nginx
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: ingress-nginx
{{- end -}}
{{- define "fixture.selectorLabels" -}}
app.kubernetes.io/name: ingress-nginx
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
