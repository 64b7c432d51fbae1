# featherlb in a container. The jar is built on the host first, so no step here needs the network:
#   ./jbang export fatjar --force -O target/featherlb.jar featherlb.java
#   docker build -t featherlb .
#   docker run -v ./featherlb.yaml:/etc/featherlb/featherlb.yaml -p 8080:8080 featherlb
# JAVA_IMAGE: any image with `java` 25+ on its PATH (e2e.java passes FEATHERLB_JAVA_IMAGE).
ARG JAVA_IMAGE=eclipse-temurin:25-jre
FROM ${JAVA_IMAGE}
COPY target/featherlb.jar /opt/featherlb/featherlb.jar
EXPOSE 8080
# featherlb drains on SIGTERM; java runs as PID 1 and handles it itself.
STOPSIGNAL SIGTERM
# The JVM options of featherlb.java's //RUNTIME_OPTIONS, which `java -jar` does not read from the jar
# (test/launch/DockerfileTest keeps them equal): a small young heap and a serial collector keep the
# memory per connection low; JAVA_TOOL_OPTIONS may add to them.
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xms16m", "-XX:-ShrinkHeapInSteps", "-Xmn8m", "-XX:+UseCompactObjectHeaders", "-XX:TrimNativeHeapInterval=1000", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/featherlb/featherlb.jar"]
CMD ["--config", "/etc/featherlb/featherlb.yaml"]
