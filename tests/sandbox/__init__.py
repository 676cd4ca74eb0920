"""Tests of homele-sandbox, the local fake of the Homele CRM API."""
