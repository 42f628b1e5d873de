"""The portfolio as a bundle of CSV files, for spreadsheets and CRM exports: read, check,
import, and export back out in the same formats."""
