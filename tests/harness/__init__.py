"""Test harness for shopfleet.prestashop: private MariaDB servers, synthetic shop databases, file trees and releases."""
