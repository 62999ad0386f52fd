#!/bin/sh
# mkcerts.sh DIR — test certificates for the TLS tests, made at test time so
# that no private key is ever committed.  Needs certtool (gnutls-bin).
#
# DIR/ca.pem                        the test CA (trust anchor for clients)
# DIR/certs/mx.example.test/        RSA-2048 leaf for mx.example.test
# DIR/certs/mx.example.test_ecc/    ECDSA P-256 leaf for mx.example.test
#                                   (acme.sh names its ECDSA folders NAME_ecc)
# DIR/certs/other.example/          ECDSA P-256 leaf for other.example
#   each with fullchain.pem (leaf then CA) and privkey.pem (mode 0600)
# DIR/spare/rsa.pem, DIR/spare/rsa.key, DIR/spare/ecc.pem, DIR/spare/ecc.key
#                                   a second RSA and ECDSA pair for
#                                   mx.example.test (replacement tests)
#
# Leaves and CA are valid from an hour ago for MKCERTS_DAYS days (3 unless
# set: `make run` keeps its instance longer); serials are random.
set -eu
DAYS=${MKCERTS_DAYS:-3}

[ $# -eq 1 ] || { echo "usage: mkcerts.sh DIR" >&2; exit 64; }
D=$1
command -v certtool >/dev/null 2>&1 ||
	{ echo "mkcerts.sh: certtool not found (package gnutls-bin)" >&2; exit 69; }
umask 077
mkdir -p "$D/certs" "$D/spare" "$D/tmpl"
T=$D/tmpl

key() {		# type file
	case $1 in
	rsa)	certtool --generate-privkey --key-type=rsa --bits=2048 \
		    --outfile="$2" >/dev/null 2>&1 ;;
	ecc)	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		    --outfile="$2" >/dev/null 2>&1 ;;
	esac
}

leaf() {	# type name cert-out key-out
	key "$1" "$4"
	{
		echo "cn = \"$2\""
		echo "dns_name = \"$2\""
		echo "tls_www_server"
		echo "signing_key"
		[ "$1" = rsa ] && echo "encryption_key"
		echo "activation_date = \"$(date -u -d '1 hour ago' '+%Y-%m-%d %H:%M:%S')\""
		echo "expiration_days = $DAYS"
	} > "$T/$2.$1"
	certtool --generate-certificate --load-privkey="$4" \
	    --load-ca-certificate="$D/ca.pem" --load-ca-privkey="$T/ca.key" \
	    --template="$T/$2.$1" --outfile="$3" >/dev/null 2>&1
}

folder() {	# type name folder
	mkdir -p "$D/certs/$3"
	leaf "$1" "$2" "$T/leaf.pem" "$D/certs/$3/privkey.pem"
	cat "$T/leaf.pem" "$D/ca.pem" > "$D/certs/$3/fullchain.pem"
	rm -f "$T/leaf.pem"
}

key ecc "$T/ca.key"
cat > "$T/ca" <<TMPL
cn = "tambo test CA"
ca
cert_signing_key
crl_signing_key
activation_date = "$(date -u -d '1 hour ago' '+%Y-%m-%d %H:%M:%S')"
expiration_days = $DAYS
TMPL
certtool --generate-self-signed --load-privkey="$T/ca.key" \
    --template="$T/ca" --outfile="$D/ca.pem" >/dev/null 2>&1

folder rsa mx.example.test mx.example.test
folder ecc mx.example.test mx.example.test_ecc
folder ecc other.example other.example
leaf rsa mx.example.test "$D/spare/rsa.pem" "$D/spare/rsa.key"
leaf ecc mx.example.test "$D/spare/ecc.pem" "$D/spare/ecc.key"
chmod 0644 "$D"/certs/*/fullchain.pem "$D/ca.pem"
rm -rf "$T"
