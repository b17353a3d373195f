"""Community: what users say about materials; so far, star ratings (1 to 5) by signed-in
users who are not the material's authors."""
