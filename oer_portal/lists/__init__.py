"""Lists ("Mijn lijsten"): favourites and named lists of materials, and public profiles."""
