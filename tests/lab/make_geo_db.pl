#!/usr/bin/perl
# Writes a small MaxMind DB for the --geo tests with Debian's libmaxmind-db-writer-perl:
#   make_geo_db.pl OUT.mmdb TYPE PREFIX=CC:ASN:ORG ...
# TYPE is the database_type (GeoLite2-Country, GeoLite2-ASN, ...); an empty CC, ASN or ORG leaves
# that field out. Lab prefixes (198.18.0.0/15, 2001:db8::/32) are reserved networks the writer
# drops unless told not to.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $type, @nets) = @ARGV;
die "usage: $0 OUT.mmdb TYPE PREFIX=CC:ASN:ORG ...\n" unless $out && $type && @nets;
my %types = (country => 'map', iso_code => 'utf8_string', names => 'map', en => 'utf8_string',
             autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version => 6, record_size => 24, database_type => $type, languages => ['en'],
  description => { en => 'reach lab' }, map_key_type_callback => sub { $types{ $_[0] } },
  remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1);
for my $n (@nets) {
  my ($prefix, $rest) = split /=/, $n, 2;
  my ($cc, $asn, $org) = split /:/, $rest // '', 3;
  my %rec;
  $rec{country} = { iso_code => $cc, names => { en => $cc } } if defined $cc && length $cc;
  $rec{autonomous_system_number} = $asn + 0 if defined $asn && length $asn;
  $rec{autonomous_system_organization} = $org if defined $org && length $org;
  $tree->insert_network($prefix, \%rec);
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
