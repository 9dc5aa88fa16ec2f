{{/* Labels every object carries. */}}
{{- define "knitfab.labels" -}}
app.kubernetes.io/name: knitfab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The selector of one component: ctx = (dict "root" $ "component" NAME). */}}
{{- define "knitfab.selector" -}}
app.kubernetes.io/name: knitfab
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The server image. */}}
{{- define "knitfab.image" -}}
{{- $name := printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- if .Values.imageRepository }}{{ printf "%s/%s" (trimSuffix "/" .Values.imageRepository) $name }}{{ else }}{{ $name }}{{ end -}}
{{- end }}

{{- define "knitfab.tls" -}}
{{- if and .Values.certs.cert .Values.certs.key }}true{{ end -}}
{{- end }}

{{/* The Secret holding the database URL (key `url`). */}}
{{- define "knitfab.databaseUrlSecret" -}}
{{- if and .Values.database.external .Values.database.externalSecret }}{{ .Values.database.externalSecret }}{{ else }}{{ printf "%s-url" .Values.database.credential.secret }}{{ end -}}
{{- end }}

{{/* Environment of every server container: the database. */}}
{{- define "knitfab.databaseEnv" -}}
{{- if .Values.database.external }}
- name: KNITFAB_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "knitfab.databaseUrlSecret" . }}, key: url}
{{- else }}
# the password stays out of the URL: the PostgreSQL client reads PGUSER and PGPASSWORD
- name: PGUSER
  valueFrom:
    secretKeyRef: {name: {{ .Values.database.credential.secret }}, key: username}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .Values.database.credential.secret }}, key: password}
- name: KNITFAB_DATABASE_URL
  value: {{ printf "postgres://%s.%s.svc.%s:%d/knit" .Values.database.service .Release.Namespace .Values.clusterTLD (int .Values.database.port) | quote }}
{{- end }}
{{- end }}

{{/* Container security every server container gets. */}}
{{- define "knitfab.containerSecurity" -}}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
{{- end }}

{{- define "knitfab.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile: {type: RuntimeDefault}
{{- end }}

{{/*
One server Deployment. ctx: root, name (Deployment), component (label), role (--role),
replicas, serviceAccount, resources, http (serves HTTP on 8080), tls, args (further flags).
*/}}
{{- define "knitfab.serverDeployment" -}}
{{- $root := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "knitfab.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      {{- include "knitfab.selector" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "knitfab.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
      annotations:
        # hooks and extra APIs are read at start: a change rolls the pods
        checksum/hooks: {{ toYaml $root.Values.hooks | sha256sum }}
        checksum/extra-apis: {{ toYaml $root.Values.extraApi | sha256sum }}
        checksum/certs: {{ printf "%s%s%s" $root.Values.certs.cert $root.Values.certs.key $root.Values.certs.cacert | sha256sum }}
    spec:
      serviceAccountName: {{ .serviceAccount }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "knitfab.podSecurity" $root | nindent 6 }}
      containers:
        - name: knitfab
          image: {{ include "knitfab.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          {{- with $root.Values.image.command }}
          command: {{ toJson . }}
          {{- end }}
          args:
            - serve
            - --role={{ .role }}
            - --home=/var/lib/knitfab
            - --store={{ $root.Values.store.name }}
            {{- if eq $root.Values.store.name "pvc" }}
            - --storage-class={{ $root.Values.storage.class.data }}
            - --data-size={{ $root.Values.store.dataSize }}
            - --agent-image={{ include "knitfab.image" $root }}
            {{- if $root.Values.worker.nurse.use }}
            - --nurse-secret={{ $root.Values.worker.nurse.secret }}
            {{- end }}
            {{- end }}
            {{- range $root.Values.store.args }}
            - {{ . | quote }}
            {{- end }}
            - --runtime=kubernetes
            - --namespace={{ $root.Release.Namespace }}
            {{- if $root.Values.worker.priorityClassName }}
            - --priority-class={{ $root.Values.worker.priorityClassName }}
            {{- end }}
            - --hooks=/knit/hooks/hooks.yaml
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
          env:
            {{- include "knitfab.databaseEnv" $root | nindent 12 }}
          {{- if .http }}
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
          readinessProbe:
            httpGet: {path: /readyz, port: http, scheme: {{ if .tls }}HTTPS{{ else }}HTTP{{ end }}}
            periodSeconds: 10
          livenessProbe:
            httpGet: {path: /healthz, port: http, scheme: {{ if .tls }}HTTPS{{ else }}HTTP{{ end }}}
            initialDelaySeconds: 10
            periodSeconds: 20
          {{- end }}
          resources: {{- toYaml .resources | nindent 12 }}
          {{- include "knitfab.containerSecurity" $root | nindent 10 }}
          volumeMounts:
            - {name: home, mountPath: /var/lib/knitfab}
            - {name: tmp, mountPath: /tmp}
            - {name: hooks, mountPath: /knit/hooks, readOnly: true}
            {{- if eq .role "api" }}
            - {name: extra-api, mountPath: /knit/extra-api, readOnly: true}
            {{- end }}
            {{- if .tls }}
            - {name: certs, mountPath: /knit/certs, readOnly: true}
            - {name: ca-certs, mountPath: /knit/ca, readOnly: true}
            {{- end }}
      volumes:
        - {name: home, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
        - name: hooks
          configMap: {name: hooks-config}
        {{- if eq .role "api" }}
        - name: extra-api
          configMap: {name: extra-api-config}
        {{- end }}
        {{- if .tls }}
        - name: certs
          secret: {secretName: {{ $root.Values.certs.secret.server }}}
        - name: ca-certs
          secret: {secretName: {{ $root.Values.certs.secret.ca }}}
        {{- end }}
{{- end }}

{{/*
The in-cluster database's password: the value given, else the one the release's Secret holds
(upgrades keep it), else a new random one. Kept in .Values so every template of this render agrees.
*/}}
{{- define "knitfab.databasePassword" -}}
{{- $credential := .Values.database.credential -}}
{{- if not $credential.password -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $credential.secret -}}
{{- $_ := set $credential "password" (ternary (index ($existing.data | default dict) "password" | default "" | b64dec) (randAlphaNum 32) (and (not (empty $existing)) (hasKey ($existing.data | default dict) "password"))) -}}
{{- end -}}
{{- $credential.password -}}
{{- end }}
