# Labelled accuracy set: every instruction below plants one secret (all fake, made by
# tests/accuracy/README.md's generator); labels.toml says which line and which rule family.
FROM alpine:3.20 AS final
ENV GITHUB_TOKEN=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
ARG GH_OAUTH=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
RUN git clone https://x-access-token:ghs_7zuMnMDBR4hRx3GR7qys80wdVTB4bs10e4vA@github.com/shop/private.git
ENV NPM_CONFIG_TOKEN=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
RUN echo "//registry.npmjs.org/:_authToken=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" > /root/.npmrc
ENV AWS_ACCESS_KEY_ID=AKIAZQJOBBR62QUIFLCQ
ENV AWS_SECRET_ACCESS_KEY=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
ENV GOOGLE_API_KEY=AIzafYWunksXQHNfyuLLKTrXyb92TvdwOsudoaV
RUN echo '{"type": "service_account", "private_key_id": "2b964743af32c893bff37beb222f9875adaafca5"}' > /sa.json
ENV AZURE_STORAGE=DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=z7CSS0WBt4q3IQpOI4HsIDQspIL6ZZcQ0Rm/A2TQhZwbIGqQ189RbeCpIPcA6JVkybmtQC7AvNk1rndI1fxD8R==
ENV GITLAB_TOKEN=glpat-RSO9G_PGe_rc9UG7zVJZ
ENV SLACK_BOT_TOKEN=xoxb-43906188479-188957555218-3ZlWq9893HH3yOg7MnbDpnBG
RUN curl -X POST https://hooks.slack.com/services/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
ENV STRIPE_SECRET_KEY=sk_live_RjAPNF6I9btoGx4IfDRVAj5u
ENV SENDGRID_API_KEY=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
ENV OPENAI_API_KEY=sk-proj-Gk77SmJLekfi5nX69ctOrdnYlvGcfjpQtN8EP7FZT3BlbkFJEO1f_Fx4yo8W9c-BXe7rLEOI3dTvpVBjv6Zon1Za
ENV ANTHROPIC_API_KEY=sk-ant-api03-FzgHvIVkGveBo5eT7ey9gLlviJAaKf8HjvE-gTDY7lFeb0Xl4wvEvzRZJv7lcSjqF8tPw-oraWl-1RTkcGEoWFMwNbdRw6m
ENV HF_TOKEN=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
ENV VAULT_TOKEN=hvs.4iXJ44MG508LOvndABLZCPvmDXqQYAMWHS5FwMezMv3q4W-hNeRM0CKSSXCb12XUFWTdnEBw_Y8u3yVdkmoBYp6Sm1
ENV DOCKERHUB_TOKEN=dckr_pat_EPNamiRt60mny_RxplSEt47m2ql
ENV PYPI_TOKEN=pypi-AgEIcHlwaS5vcmcc72i4-h58Smg0x2iGF2nSvbsNH3nCUj0kHO2NDx1GeG6L0HA4uTNHNoFazROpRZ27WnV35
ENV DATABASE_URL=postgres://shop:LuKywaWwyVwYqYEa@db.internal:5432/shop
RUN mysql -h db -uroot -pxADcMb3TsIIY -e 'CREATE DATABASE shop'
RUN docker login -u ci -p dhXvBqyt638Tqanndeol registry.example.org
ENV API_JWT=eyJhbGciOiAiUlMyNTYiLCAia2lkIjogImsxIn0.eyJzdWIiOiAic3ZjLWRlcGxveSIsICJleHAiOiAxOTI0OTkyMDAwfQ.pOnC1_4EakoKm5b_OAYGSTWjRlLK6sNdVU72lZ-o2_YH19dCqgn28s9Dp68GZN9Z3zLIbet6_UzH_7-3eLO6m4
RUN printf '-----BEGIN RSA PRIVATE KEY-----\nMIGAhOdd2fUgiP+9MWPSSuYHLwDnKmV+PRaJtk8CoPtFcvJDlCvVUUWc0sdMZMAH\nNsclGrG0DQ3zp5vmpj7+7ldOad6s6ncjzBFkWBcY52D3CkJvRlJfx4vZ1CjEnF+w\nWYbt/tST71qm9uM9jDBtdgIv6KnQXQ20ULRuOI9tlolDM4c=\n-----END RSA PRIVATE KEY-----\n' > /root/.ssh/id_rsa
ENV DB_PASSWORD=bwltro
ENV SESSION_SECRET=gRNIHONdsig3AohSe6gYYeL3
ENV SENTRY_DSN=https://c14e09dbe61d9485c12edfe40934d68e:46a59036ec2bc20b2876a829327eb454@o1.ingest.sentry.io/2
RUN export API_TOKEN=mJqRhyqLPExmmWl8xEe6OMiN && ./deploy.sh
COPY deploy/id_rsa /root/.ssh/id_rsa
COPY .env.production /srv/app/.env
ENV SHOPIFY_TOKEN=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
ENV DIGITALOCEAN_TOKEN=dop_v1_0a60a38fda71bffd1ab68bc20de11f4fc3b3837d7686e031fb5c46959d9ddd62
ENV TELEGRAM_BOT_TOKEN=6653989974:AAOEQlyIxk6wCCN076fJLlfJ7RiX3O1lpJp
RUN echo "mariadb-server mysql-server/root_password password Vb4nM7qWx2Lz" | debconf-set-selections
RUN echo 'root:Kd8sLq2vXn5T' | chpasswd
RUN curl -fsS -H "Authorization: Bearer Zk9qW2xR7tLm4pV8sN3bC6yH" https://api.internal/v1/pkg
RUN htpasswd -bc /etc/nginx/.htpasswd admin Pz3kRw8mQv1X
RUN keytool -genkeypair -alias app -keystore /app/ks.jks -storepass Ht6yUj2kLm9B -dname CN=app
RUN openssl req -x509 -newkey rsa:2048 -passout pass:Wq5rTz8nLk3M -keyout /app/k.pem -out /app/c.pem -subj /CN=app
RUN echo "$DEPLOY_SSH_KEY" | base64 -d > /root/.ssh/id_ed25519 && chmod 600 /root/.ssh/id_ed25519
RUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc /app/.npmrc && npm ci --omit=dev
RUN echo "export NPM_TOKEN=$NPM_TOKEN" >> /root/.bashrc && npm ci
CMD ["/srv/app", "--admin-password", "Rq4mXw8zLp2K"]
HEALTHCHECK --interval=30s CMD ["redis-cli", "-h", "cache", "-a", "Nc7vBt3yQw9P", "ping"]
RUN htpasswd -c -B -b /etc/nginx/.htpasswd ops Mv5tGh8kWq3Z && nginx -t
RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm config set //registry.npmjs.org/:_authToken "$NPM_TOKEN" && npm ci --omit=dev
RUN --mount=type=secret,id=reg cat /run/secrets/reg | docker login -u ci --password-stdin registry.example.org
RUN git config --global url."https://x-access-token:${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/" && go mod download
RUN ["/bin/bash", "-c", "export UPLOAD_TOKEN=C3J27XDCG2LmlZGEONYlgCtj && ./upload.sh"]
RUN ["/bin/sh", "-c", "echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > /root/.npmrc && npm ci"]
