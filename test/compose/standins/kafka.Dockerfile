# Stand-in for the official apache/kafka image, built without an image registry: the
# broker jars fetched from Maven Central on a Debian JRE. It honours the official image's
# conventions that kraul's docker-compose.yml relies on: KAFKA_* variables become broker
# properties, CLUSTER_ID formats the storage, data in /var/lib/kafka/data, user appuser,
# /opt/kafka/bin/kafka-broker-api-versions.sh answers once the broker serves clients.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
COPY libs/ /opt/kafka/libs/
COPY log4j2.properties /opt/kafka/config/log4j2.properties
COPY run /etc/kafka/docker/run
COPY kafka-broker-api-versions.sh /opt/kafka/bin/kafka-broker-api-versions.sh
RUN useradd --uid 1000 --create-home --shell /bin/bash appuser \
 && mkdir -p /var/lib/kafka/data /opt/kafka/logs \
 && chown -R appuser /var/lib/kafka /opt/kafka/config /opt/kafka/logs \
 && chmod +x /etc/kafka/docker/run /opt/kafka/bin/kafka-broker-api-versions.sh
USER appuser
VOLUME ["/var/lib/kafka/data"]
EXPOSE 9092
CMD ["/etc/kafka/docker/run"]
