# Labelled accuracy set: decoys only. Nothing here may be reported at medium or above.
FROM alpine:3.20
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
ENV GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
ENV GITHUB_TOKEN_BAD_CHECKSUM=ghp_TdH3ip8uZK6u8oqNRraRs6kK7rXErDHWTVeX
ENV API_KEY=changeme
ENV DB_PASSWORD=${DB_PASSWORD}
ENV DB_PASSWORD_FILE=/run/secrets/db_password
ENV GPG_KEY=488C05C2BC002101A400F103E164F671BE1619FE
ENV GPG_KEYS 3DC239C7B2205077119060095C6E2DF3AB57124D E124EF0AF556266F14F3D3B3439F0CFAA8A1DC7A
ENV NODE_SHA256=3cfd4ae682483e5c87dc450504944094c57e0b1c13e093a3e13774a5cbd6f4ec
ENV PYTHON_SHA256 143c3536bc1e10546cca6874f9caa126b311d6f2f235877b2dab1d03a863c216
ENV TOKEN_ISSUER=https://auth.example.org/ TOKEN_TTL=3600 SESSION_TIMEOUT=1800
ENV AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws_key_id
ARG NPM_TOKEN
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
RUN --mount=type=secret,id=gh GITHUB_TOKEN=$(cat /run/secrets/gh) ./fetch.sh
RUN curl -fsSL https://deb.nodesource.com/gpgkey/nodesource.gpg.key | gpg --dearmor -o /usr/share/keyrings/nodesource.gpg
RUN echo "sha512-dswSaunTuaVpkIrGoBKocrBZiDVqoqxwBWA+7+YfLbUNvKXPKtGr53Iju+NG4ZZfJ7lCDYgURcKYU6b0gR2HCD==" > integrity.txt
ENV BUILD_COMMIT=6e5cfe30c989c917e50ad74dc0faccb2d91f517d
FROM python:3.12-slim@sha256:551eda7f2300fd005450f02d4895f41c48862ee8dc86563dfee5292b699ece4b
ENV REQUEST_ID=52166524-dcd5-5e27-6358-f2b04b451f95
LABEL org.opencontainers.image.revision=acaf6f3fc69a4d1d8a0229b9d1db9a10e8a39303
RUN pip install --index-url https://pypi.org/simple --no-cache-dir 'requests==2.32.3'
ENV PASSWORD_HASH_ALGORITHM=argon2id KEY_SIZE=4096 TOKEN_ENDPOINT=https://login.example.org/oauth/token
RUN useradd -m -p '*' app && passwd -d app
ENV JWT_SECRET_KEY_PATH=/etc/app/jwt.key
RUN openssl genrsa -out /etc/ssl/private/server.key 2048
ENV POSTGRES_URL=postgres://app@db:5432/app
ENV SECRET_KEY_BASE=secret_key_base
ENV SPRING_DATASOURCE_PASSWORD=
RUN echo 'password: <your-password>' > /etc/app/config.yml.example
HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1
RUN echo "root:${ROOT_PASSWORD}" | chpasswd && htpasswd -ic /etc/nginx/.htpasswd admin < /run/secrets/pw
RUN openssl passwd -6 -stdin < /run/secrets/pw > /tmp/hash && redis-cli -a "$REDIS_PASSWORD" ping
RUN curl -H "Authorization: Bearer $API_TOKEN" https://api.internal/ && docker login --password-stdin < /run/secrets/reg && docker pull r.example.org/x && docker logout
RUN find /var/lib/mysql ! -uid "$(id -u mysql)" -print0 | xargs -0 -r chown mysql
RUN echo "tzdata tzdata/Areas select Europe" | debconf-set-selections && keytool -list -storepass:env STORE_PASS
RUN echo "$DEPLOY_SSH_KEY" > /root/.ssh/id_rsa && git clone git@github.com:org/app.git && rm -f /root/.ssh/id_rsa
RUN echo "registry=$NPM_REGISTRY" > /app/.npmrc && echo 'fund=false' >> /app/.npmrc
RUN printf '#!/bin/sh\necho "$DB_PASSWORD" > ~/.pgpass\nexec app\n' > /entrypoint.sh
RUN echo 'env[API_SECRET] = $API_SECRET' >> /usr/local/etc/php-fpm.d/www.conf
RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm config set //registry.npmjs.org/:_authToken "$NPM_TOKEN" && npm ci && npm config delete //registry.npmjs.org/:_authToken
RUN npm config set registry "$NPM_REGISTRY" && git config --global user.email "$GIT_EMAIL" && bundle config --global frozen 1
RUN --mount=type=secret,id=reg cat /run/secrets/reg | docker login -u ci --password-stdin r.example.org && docker pull r.example.org/x && docker logout r.example.org
RUN ["npm", "config", "set", "//registry.npmjs.org/:_authToken", "$NPM_TOKEN"]
