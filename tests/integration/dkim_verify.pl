#!/usr/bin/perl
# dkim_verify.pl — check every DKIM-Signature of each message with
# Mail::DKIM (libmail-dkim-perl), keys from the DNS of /etc/resolv.conf
# (dkimsign.t runs it in a network namespace with its own dnsmasq).
#
#   dkim_verify.pl FILE...
#
# Prints one line per signature, in the order of the fields: "FILE INDEX
# RESULT ALGORITHM DETAIL" (RESULT pass, fail, invalid, temperror, ...);
# a message without a signature gives "FILE - none".
use strict;
use warnings;
use Mail::DKIM::Verifier;

for my $path (@ARGV) {
	open(my $fh, '<:raw', $path) or die "$path: $!";
	my $v = Mail::DKIM::Verifier->new();
	local $/;
	my $text = <$fh>;
	close($fh);
	# Mail::DKIM wants CRLF; bare LF ends a line too (as on the wire)
	$text =~ s/\r?\n/\r\n/g;
	$v->PRINT($text);
	$v->CLOSE();
	my @sigs = $v->signatures;
	print "$path - none\n" unless @sigs;
	my $i = 0;
	for my $s (@sigs) {
		my $detail = $s->result_detail // '';
		$detail =~ s/\s+/_/g;
		printf("%s %d %s %s %s\n", $path, $i++, $s->result // 'none',
		    $s->algorithm // '?', $detail);
	}
}
