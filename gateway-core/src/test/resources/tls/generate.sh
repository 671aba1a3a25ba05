#!/bin/sh
# Regenerates the test certificates (run from this directory). Valid for 100 years so tests never
# expire. Nothing here is secret: these keys exist only for tests.
set -e
DAYS=36500
SAN="subjectAltName=DNS:localhost,IP:127.0.0.1"

# a CA, and a second CA nobody trusts
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $DAYS -subj "/CN=Tollgate Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days $DAYS -subj "/CN=Untrusted Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() { # name subject ca extensions keyalg
  if [ "$5" = ec ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
  else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"
  fi
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days $DAYS -sha256 \
    -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}

leaf server "server-one" ca "$SAN"                 # the gateway's certificate (PKCS#8 RSA key)
leaf server2 "server-two" ca "$SAN"                # the replacement, for the reload test
leaf server-ec "server-ec" ca "$SAN" ec            # an EC key
leaf backend "backend" ca "$SAN"                   # an upstream's certificate
leaf wrong-host "wrong-host" ca "subjectAltName=DNS:elsewhere.example"  # trusted, but for another name
leaf untrusted "untrusted" other-ca "$SAN"         # signed by the CA nobody trusts
leaf client "gateway-client" ca "extendedKeyUsage=clientAuth"  # the gateway's client certificate (mTLS)

# the same keys in the legacy encodings: PKCS#1 (RSA) and SEC1 (EC)
openssl pkey -in server.key -traditional -out server-pkcs1.key
openssl pkey -in server-ec.key -traditional -out server-ec-sec1.key
# a PKCS#12 keystore with password "changeit"
openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server -out server.p12 -passout pass:changeit
rm -f ca.key other-ca.key ca.srl other-ca.srl
