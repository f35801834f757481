-- 008_product_images: a product's images, as GET /api/v1/products/{id} answers them, kept with
-- the product. Products never change after creation (API.md §6: create, read, delete), so
-- the list is computed once in the creating transaction instead of by every read (the
-- aggregate over attachments and resources was about a third of the read's statement).
-- A trigger keeps it as each attachment is made, so every creating path (products.fcgi,
-- files-cron run-imports) gets it without a statement of its own. NULL means not computed:
-- readers fall back to product_images_json.

-- [resource_id, ext, role, position, content_type, size] per image, the cover first.
CREATE FUNCTION product_images_json(pid uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_array(a.resource_id::text, r.ext, a.role, a.position,
                                              r.content_type, r.size)
                             ORDER BY a.role = 'gallery', a.position), '[]'::json)::text
      FROM media_resource_attachments a JOIN media_resources r ON r.id = a.resource_id
     WHERE a.entity_type = 'product' AND a.entity_id = pid
$$;

ALTER TABLE products ADD COLUMN images_json text;
UPDATE products SET images_json = product_images_json(id);

CREATE FUNCTION product_images_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET images_json = product_images_json(NEW.entity_id) WHERE id = NEW.entity_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER media_attachments_product_images AFTER INSERT ON media_resource_attachments
    FOR EACH ROW WHEN (NEW.entity_type = 'product') EXECUTE FUNCTION product_images_keep();
